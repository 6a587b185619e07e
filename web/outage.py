"""Redis outages answer 503 `unavailable` with Retry-After, never 500 with a traceback.

Pure-ASGI middleware around the whole app: a connection error that escapes a route (or a
websocket) becomes a 503 (or close code 1013, "try again later") and one warning per outage
(config.outage). Nothing is short-circuited: the next request tries Redis again, so the
service recovers the moment Redis is back, without a restart.
"""

from __future__ import annotations

import json

from config import is_outage, outage
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CLOSE_TRY_AGAIN = 1013
MESSAGE = "The service cannot reach its store just now; try again in a few seconds."


class OutageMiddleware:
    def __init__(self, app: ASGIApp, tracker: outage.Outage | None = None) -> None:
        self.app = app
        self.outage = tracker or outage.REDIS

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking(message: Message) -> None:
            nonlocal started
            if message["type"] in ("http.response.start", "websocket.accept", "websocket.close"):
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking)
        except Exception as exc:  # redis-py's errors, raised through the route
            if not is_outage(exc):
                raise
            self.outage.failed(exc, scope["path"] if scope["type"] == "http" else "websocket")
            if scope["type"] == "websocket":
                await _close_socket(send, started)
            elif not started:
                await _unavailable(send, html=_wants_html(scope))
            # A response already under way cannot change its status; the connection ends.


async def _close_socket(send: Send, accepted: bool) -> None:
    try:
        await send({"type": "websocket.close", "code": CLOSE_TRY_AGAIN, "reason": "store unavailable; reconnect with ?after="})
    except Exception:  # the client is gone already
        pass


def _wants_html(scope: Scope) -> bool:
    if scope["path"].startswith(("/api/", "/hooks/", "/metrics", "/readyz", "/healthz")):
        return False
    accept = dict(scope["headers"]).get(b"accept", b"")
    return b"text/html" in accept


async def _unavailable(send: Send, html: bool) -> None:
    if html:
        body = ('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Sorry, try again shortly</title></head>'
                f'<body><h1>Sorry, try again shortly</h1><p>{MESSAGE}</p></body></html>').encode()
        kind = b"text/html; charset=utf-8"
    else:
        body = json.dumps({"error": {"code": "unavailable", "message": MESSAGE}}).encode()
        kind = b"application/json"
    await send({"type": "http.response.start", "status": 503, "headers": [
        (b"content-type", kind), (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(outage.RETRY_AFTER_S).encode()), (b"cache-control", b"no-store"),
    ]})
    await send({"type": "http.response.body", "body": body})
