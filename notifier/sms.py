"""SMS through Twilio's async client.

`TWILIO_API_BASE` points the client at another address (tests use a loopback stand-in): a
small subclass of the library's AsyncTwilioHttpClient rewrites `https://api.twilio.com` to
it. The same subclass turns 429/5xx answers into TransientError (keeping Retry-After, which
the library's own exception drops) before the library sees them.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import ClientError, ClientSession, ClientTimeout
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from config import Twilio
from notifier.errors import PermanentError, TransientError

log = logging.getLogger("notifier.sms")
# The library logs every request at INFO, eight lines each (URL with the account, headers):
# per message that was most of a worker's log and a real share of its time in a burst.
_http_log = log.getChild("twilio")
_http_log.setLevel(logging.WARNING)
TWILIO_API = "https://api.twilio.com"
TIMEOUT_S = 10.0
LOOKBACK = 50  # recent messages to one number searched when proving an earlier send


class RebasedHttpClient(AsyncTwilioHttpClient):
    def __init__(self, api_base: str | None, timeout_s: float = TIMEOUT_S) -> None:
        super().__init__(pool_connections=False, logger=_http_log)
        # One pooled session with a real aiohttp timeout (the library passes a bare float).
        self.session = ClientSession(timeout=ClientTimeout(total=timeout_s))
        self.api_base = api_base.rstrip("/") if api_base else None

    async def request(self, method: str, url: str, params: Any = None, data: Any = None, headers: Any = None,
                      auth: Any = None, timeout: float | None = None, allow_redirects: bool = False) -> Response:
        if self.api_base and url.startswith(TWILIO_API):
            url = self.api_base + url[len(TWILIO_API):]
        try:
            response = await super().request(method, url, params, data, headers, auth, None, allow_redirects)
        except (ClientError, asyncio.TimeoutError, OSError) as exc:
            raise TransientError(f"Twilio unreachable ({type(exc).__name__})") from exc
        if response.status_code == 429:
            raise TransientError("Twilio rate limited the request", retry_after_s=_retry_after(response.headers))
        if response.status_code >= 500:
            raise TransientError(f"Twilio answered {response.status_code}")
        return response


def _retry_after(headers: Any) -> float | None:
    raw = headers.get("Retry-After") if headers is not None else None
    try:
        return max(0.0, float(raw)) if raw is not None else None
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff


class TwilioSender:
    def __init__(self, twilio: Twilio) -> None:
        self.twilio = twilio
        self.http = RebasedHttpClient(twilio.api_base)
        # environment={} keeps the library from reading os.environ behind our settings' back.
        self.client = Client(twilio.account_sid, twilio.auth_token, http_client=self.http, environment={})

    async def send(self, to: str, body: str, status_callback: str | None) -> str:
        kwargs: dict[str, Any] = {"to": to, "from_": self.twilio.from_number, "body": body}
        if status_callback:
            kwargs["status_callback"] = status_callback
        try:
            message = await self.client.messages.create_async(**kwargs)
        except TwilioRestException as exc:
            raise PermanentError(f"Twilio refused the message ({exc.status}, code {exc.code})") from exc
        except TwilioException as exc:
            raise TransientError(f"Twilio client error ({type(exc).__name__})") from exc
        return str(message.sid)

    async def find_sent(self, to: str, body: str) -> str | None:
        """The sid of a message already accepted with this body to this number, if any: how a
        retry proves an earlier attempt (whose answer was lost) did or did not send."""
        try:
            recent = await self.client.messages.list_async(to=to, from_=self.twilio.from_number, limit=LOOKBACK)
        except TwilioException as exc:
            raise TransientError(f"Twilio lookup failed ({type(exc).__name__})") from exc
        for message in recent:
            if message.body == body:
                return str(message.sid)
        return None

    async def close(self) -> None:
        await self.http.close()
