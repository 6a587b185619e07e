"""Slow clients cannot hold the web process's connections: a request's head (request line and
headers) must arrive within HEADER_TIMEOUT_S of the connection opening or of the request's
first byte, or the connection is answered 408 and closed.

uvicorn keeps a connection that has sent nothing, or a header a minute, for as long as the
client likes (its keep-alive timer runs only between requests), so a "slowloris" holding a
few thousand such connections would take every file descriptor the process has: no request
answered and no Redis connection opened. The `realtime` process's websockets server has
this limit already (its `open_timeout`); this gives the same to `web`, /ws handshakes
included. A request's body is not timed here: BodyLimit bounds its size."""

from __future__ import annotations

import asyncio
from asyncio import TimerHandle

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

HEADER_TIMEOUT_S = 10.0
TIMED_OUT = b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: 45\r\nconnection: close\r\n\r\nThe request took too long to arrive; resend.\n"


class HeaderTimeoutProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline on each request's head."""

    header_timeout_s = HEADER_TIMEOUT_S
    _head_timer: TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()  # the next request on a kept-alive connection: its head is timed afresh

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def _arm(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self.header_timeout_s, self._too_slow)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _too_slow(self) -> None:
        self._head_timer = None
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(TIMED_OUT)
            self.transport.close()
