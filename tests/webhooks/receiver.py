"""A webhook receiver on loopback, as a council's finance or case-management system would run
one: it verifies every request's signature with the `standardwebhooks` library, answers as
the test tells it (500s first, slowly, or not at all while it is down), and records which
deliveries it acknowledged: a 2xx written to a connection the sender still held open."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

from standardwebhooks.webhooks import Webhook

from tests.support import free_port


@dataclass
class Received:
    webhook_id: str
    headers: dict[str, str]
    body: dict[str, Any]
    status: int
    acknowledged: bool = False
    acknowledged_at: float = 0.0  # time.monotonic() when the 2xx was written


@dataclass
class Receiver:
    secret: str = ""
    port: int = field(default_factory=free_port)
    # Statuses to answer with, in order; then 200 for everything.
    answers: list[int] = field(default_factory=list)
    delay_s: float = 0.0
    received: list[Received] = field(default_factory=list)
    bad_signatures: int = 0
    in_flight: int = 0
    _server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/brokerage"

    async def start(self) -> Receiver:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port, reuse_address=True)
        return self

    async def stop(self) -> None:
        """Down: connections are refused until start() again."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    def acknowledged(self) -> list[Received]:
        return [r for r in self.received if r.acknowledged]

    def acknowledged_ids(self) -> list[str]:
        return [r.webhook_id for r in self.acknowledged()]

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
            raw = await reader.readexactly(int(headers.get("content-length", "0")))
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()
            return
        self.in_flight += 1
        try:
            try:
                body = Webhook(self.secret).verify(raw, headers)
            except Exception:
                self.bad_signatures += 1
                body, status = json.loads(raw or b"{}"), 400
            else:
                status = self.answers.pop(0) if self.answers else 200
            record = Received(headers.get("webhook-id", ""), headers, body, status)
            self.received.append(record)
            if self.delay_s:
                await asyncio.sleep(self.delay_s)
            if reader.at_eof():  # the sender went away (killed): nothing was acknowledged
                writer.close()
                return
            writer.write(f"HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".encode())
            await writer.drain()
            record.acknowledged = 200 <= status < 300
            record.acknowledged_at = time.monotonic()
        except ConnectionError:
            pass
        finally:
            self.in_flight -= 1
            writer.close()
