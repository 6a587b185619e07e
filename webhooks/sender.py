"""One HTTP request per delivery, signed as the Standard Webhooks specification says.

The signature is made by the `standardwebhooks` library itself (the same code receivers use
to verify), over `webhook-id` (the event id), `webhook-timestamp` and the exact body bytes.
Redirects are not followed: a receiver that moved answers 3xx, which counts as a failure the
admin sees in the delivery log, rather than the signed body going somewhere unexpected."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timezone

from aiohttp import ClientError, ClientSession, ClientTimeout
from standardwebhooks.webhooks import Webhook

from webhooks.model import Delivery, Endpoint

USER_AGENT = "homecare-brokerage-webhooks/1"


@dataclass(frozen=True)
class Answer:
    status_code: int | None  # None: no HTTP answer at all
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def signed_headers(endpoint: Endpoint, delivery: Delivery, now: datetime | None = None) -> dict[str, str]:
    moment = now or datetime.now(timezone.utc)
    signature = Webhook(endpoint.secret).sign(delivery.event_id, moment, delivery.body)
    return {
        "webhook-id": delivery.event_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


class Sender:
    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self._session: ClientSession | None = None

    async def send(self, endpoint: Endpoint, delivery: Delivery) -> Answer:
        if self._session is None:
            self._session = ClientSession(timeout=ClientTimeout(total=self.timeout_s))
        try:
            async with self._session.post(endpoint.url, data=delivery.body.encode(), headers=signed_headers(endpoint, delivery),
                                          allow_redirects=False) as response:
                await response.content.readany()  # the answer's body is not ours to keep
                return Answer(response.status, "" if 200 <= response.status < 300 else f"answered {response.status}")
        except asyncio.TimeoutError:
            return Answer(None, f"no answer within {self.timeout_s:g} s")
        except (ClientError, OSError, ValueError) as exc:
            return Answer(None, _why_not(exc))

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _why_not(exc: Exception) -> str:
    """What an admin can act on, in words (the library's class names mean nothing to them)."""
    name = type(exc).__name__
    if "DNS" in name:
        return "the address's host name was not found"
    if "SSL" in name or "Certificate" in name:
        return "the receiver's HTTPS certificate was refused"
    if "Connector" in name or isinstance(exc, (ConnectionError, OSError)):
        return "could not connect: the receiver is down or refuses connections"
    return "the receiver's answer could not be read"
