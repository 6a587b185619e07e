"""The realtime process's keepalive (realtime/keepalive.py): one sweep pings every socket and
drops one that has gone silent, on a real websockets server with real clients on loopback."""

from __future__ import annotations

import asyncio
import base64
import os
from typing import AsyncIterator

import pytest
import websockets
from websockets.asyncio.server import ServerConnection, serve

from realtime.keepalive import HeardConnection, Keepalive
from tests.waits import WaitTimeout, eventually


class Sockets:
    """A server whose handler keeps every connection until it closes."""

    def __init__(self) -> None:
        self.open: list[ServerConnection] = []
        self.arrived = asyncio.Condition()

    async def handle(self, connection: ServerConnection) -> None:
        async with self.arrived:
            self.open.append(connection)
            self.arrived.notify_all()
        try:
            await connection.wait_closed()
        finally:
            self.open.remove(connection)

    async def wait_for(self, n: int) -> None:
        async with self.arrived:
            await asyncio.wait_for(self.arrived.wait_for(lambda: len(self.open) >= n), 5)


@pytest.fixture
async def server() -> AsyncIterator[tuple[Sockets, int]]:
    sockets = Sockets()
    async with serve(sockets.handle, "127.0.0.1", 0, ping_interval=None, create_connection=HeardConnection) as srv:
        yield sockets, srv.sockets[0].getsockname()[1]


async def silent_client(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A peer that completes the handshake and then never reads or answers again, as a phone
    that lost its network looks from the server."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write((f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    assert head.startswith(b"HTTP/1.1 101"), head
    return reader, writer


def holds(condition):  # type: ignore[no-untyped-def]
    async def check() -> bool:
        return condition()
    return check


async def closed_by_server(reader: asyncio.StreamReader, timeout: float = 5.0) -> None:
    async def drain() -> None:
        try:
            while await reader.read(4096):
                pass
        except ConnectionResetError:  # an aborted connection reads as EOF or as a reset, by timing
            pass
    try:
        await asyncio.wait_for(drain(), timeout)
    except TimeoutError:
        raise WaitTimeout(f"server did not close the silent socket within {timeout:g}s") from None


async def test_answering_socket_stays_and_silent_one_is_dropped_no_sooner_than_half_an_interval(server) -> None:
    sockets, port = server
    keepalive = Keepalive(lambda: list(sockets.open), every_s=2.0)
    async with websockets.connect(f"ws://127.0.0.1:{port}/ws") as answering:
        silent_reader, silent_writer = await silent_client(port)
        await sockets.wait_for(2)
        assert keepalive.sweep(sockets.open) == (2, 0)
        answerer = next(c for c in sockets.open if c.remote_address == answering.local_address)
        await eventually(holds(lambda: answerer.heard_at > answerer.pinged_at), "the answering socket's pong", timeout=5, every=0.01)

        # Straight away: the silent socket's ping is too recent to judge, so it stays.
        assert keepalive.sweep(sockets.open) == (1, 0)
        assert len(sockets.open) == 2

        await asyncio.sleep(keepalive.pong_within_s)
        assert keepalive.sweep(sockets.open) == (1, 1)
        await closed_by_server(silent_reader)
        await eventually(holds(lambda: len(sockets.open) == 1), "the silent socket leaving the server", timeout=5, every=0.01)

        # The answering socket is still open both ways.
        await answerer.send("still here")
        assert await asyncio.wait_for(answering.recv(), 5) == "still here"
        silent_writer.close()


async def test_the_running_sweep_pings_every_socket_and_drops_the_silent_one(server) -> None:
    sockets, port = server
    keepalive = Keepalive(lambda: list(sockets.open), every_s=0.5, steps=5)
    async with websockets.connect(f"ws://127.0.0.1:{port}/ws") as answering:
        silent_reader, silent_writer = await silent_client(port)
        await sockets.wait_for(2)
        sweeping = asyncio.create_task(keepalive.run_forever())
        try:
            await closed_by_server(silent_reader)
            answerer = sockets.open[0]
            pinged = answerer.pinged_at
            await eventually(holds(lambda: answerer.pinged_at > pinged and answerer.heard_at > answerer.pinged_at),
                             "another ping answered by the open socket", timeout=5, every=0.01)
            await answerer.send("still here")
            assert await asyncio.wait_for(answering.recv(), 5) == "still here"
        finally:
            sweeping.cancel()
            silent_writer.close()
