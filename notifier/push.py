"""Web Push delivery: one encrypted message to one browser subscription.

pywebpush encrypts the payload (RFC 8291, aes128gcm, a fresh ephemeral key and salt per
message) and py-vapid signs the request (RFC 8292). The VAPID header is cached per push
service origin until shortly before it expires: signing is the costliest step per message.

Exactly once: the `Topic` header is the notification's id, so if a worker dies between the
push service's 201 and our record and the retry sends again, the push service replaces the
undelivered copy (RFC 8030 §5.4); and the service worker shows it with `tag` = that id, so
a device that already got it replaces rather than adds the notification. The person sees
it once.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any
from urllib.parse import urlsplit

from aiohttp import ClientError, ClientSession, ClientTimeout
from py_vapid import Vapid
from pywebpush import WebPusher

from notifier.errors import PermanentError, TransientError

TIMEOUT_S = 10.0
TTL_S = 24 * 3600  # a phone that is off for a night still gets the morning's packages
VAPID_LIFETIME_S = 12 * 3600


class SubscriptionGone(PermanentError):
    """404/410: the browser unsubscribed or the push service expired the subscription."""


class PushSender:
    def __init__(self, vapid: Vapid, subject: str, timeout_s: float = TIMEOUT_S) -> None:
        self.vapid = vapid
        self.subject = subject
        self.timeout_s = timeout_s
        self.session: ClientSession | None = None
        self._headers: dict[str, tuple[float, dict[str, str]]] = {}

    def _vapid_headers(self, endpoint: str) -> dict[str, str]:
        parts = urlsplit(endpoint)
        audience = f"{parts.scheme}://{parts.netloc}"
        now = time.time()
        cached = self._headers.get(audience)
        if cached is None or cached[0] < now + 600:
            expires = int(now) + VAPID_LIFETIME_S
            signed = self.vapid.sign({"sub": self.subject, "aud": audience, "exp": expires})
            cached = (expires, dict(signed))
            self._headers[audience] = cached
        return cached[1]

    async def send(self, info: dict[str, Any], payload: dict[str, Any], topic: str, urgency: str) -> str:
        if self.session is None:
            self.session = ClientSession(timeout=ClientTimeout(total=self.timeout_s))
        headers = {**self._vapid_headers(info["endpoint"]), "Topic": topic,
                   "Urgency": "high" if urgency == "red" else "normal"}
        data = json.dumps(payload, separators=(",", ":")).encode()
        try:
            pusher = WebPusher(info, aiohttp_session=self.session)
            response = await pusher.send_async(data=data, headers=headers, ttl=TTL_S, content_encoding="aes128gcm",
                                               timeout=ClientTimeout(total=self.timeout_s))
        except (ClientError, asyncio.TimeoutError, OSError) as exc:
            raise TransientError(f"push service unreachable ({type(exc).__name__})") from exc
        status = response.status
        if status in (200, 201, 202):
            return response.headers.get("Location", "") or f"push:{topic}"
        if status in (404, 410):
            raise SubscriptionGone(f"push service answered {status}: subscription gone")
        if status == 429:
            raise TransientError("push service rate limited the request", retry_after_s=_retry_after(response.headers))
        if status >= 500:
            raise TransientError(f"push service answered {status}")
        raise PermanentError(f"push service refused the message ({status})")

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()
            self.session = None


def _retry_after(headers: Any) -> float | None:
    raw = headers.get("Retry-After")
    try:
        return max(0.0, float(raw)) if raw is not None else None
    except ValueError:
        return None
