"""The load generator's side of the fan-out bench: a lean websocket client (websockets'
sans-I/O protocol under an asyncio.Protocol, no task per connection), connecting many at
once, and the latency record of each fan-out round."""

from __future__ import annotations

import asyncio
import json
import time

from procs import percentile

CONNECT_CONCURRENCY = 128
CONNECT_TIMEOUT_S = 20.0
ROUND_TIMEOUT_S = 20.0
SETTLE_S = 0.25  # quiet time after each fan-out so the next one is measured on its own


class Recorder:
    """Every message received during one fan-out round: (socket index, receive time, bytes)."""

    def __init__(self) -> None:
        self.records: list[tuple[int, float, bytes]] = []
        self.target = 0
        self.done = asyncio.Event()

    def reset(self, target: int) -> None:
        self.records = []
        self.target = target
        self.done = asyncio.Event()

    def add(self, idx: int, t: float, data: bytes) -> None:
        self.records.append((idx, t, data))
        if len(self.records) >= self.target:
            self.done.set()


class Client(asyncio.Protocol):
    """A lean websocket client: websockets' sans-I/O protocol, no task per connection.

    kind: "ours" (ready when the server answers {"type":"ping"}, i.e. the socket is
    subscribed), "floor" (ready on handshake), "sio" (ready on the socket.io CONNECT ack).
    """

    def __init__(self, idx: int, url: str, kind: str, recorder: Recorder) -> None:
        from websockets.client import ClientProtocol
        from websockets.uri import parse_uri

        self.idx = idx
        self.kind = kind
        self.recorder = recorder
        self.proto = ClientProtocol(parse_uri(url), max_size=None)
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None
        self.closed_code: int | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.proto.send_request(self.proto.connect())
        self.flush()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.ready.done():
            self.ready.set_exception(ConnectionError(f"connection lost before ready ({exc})"))
        self.transport = None

    def flush(self) -> None:
        if self.transport is None:
            return
        for data in self.proto.data_to_send():
            if data:
                self.transport.write(data)
            elif self.transport.can_write_eof():
                self.transport.write_eof()

    def send_text(self, text: str) -> None:
        self.proto.send_text(text.encode())
        self.flush()

    def data_received(self, data: bytes) -> None:
        from websockets.frames import Opcode
        from websockets.http11 import Response

        t = time.time()
        self.proto.receive_data(data)
        for event in self.proto.events_received():
            if isinstance(event, Response):
                if self.proto.handshake_exc is not None:
                    if not self.ready.done():
                        self.ready.set_exception(self.proto.handshake_exc)
                elif self.kind == "ours":
                    self.send_text('{"type":"ping"}')
                elif self.kind == "floor" and not self.ready.done():
                    self.ready.set_result(None)
            elif event.opcode is Opcode.TEXT:
                self.on_text(t, event.data)
            elif event.opcode is Opcode.CLOSE:
                self.closed_code = self.proto.close_rcvd.code if self.proto.close_rcvd else None
        self.flush()

    def on_text(self, t: float, data: bytes) -> None:
        if self.kind == "sio":
            if data == b"2":  # Engine.IO ping
                self.send_text("3")
            elif data.startswith(b"0{"):  # Engine.IO open: join the default namespace
                self.send_text("40")
            elif data.startswith(b"40"):
                if not self.ready.done():
                    self.ready.set_result(None)
            elif data.startswith(b"42"):
                self.recorder.add(self.idx, t, data)
            return
        if self.kind == "ours" and len(data) < 24 and json.loads(data).get("type") == "pong":
            if not self.ready.done():
                self.ready.set_result(None)
            return
        self.recorder.add(self.idx, t, data)

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()


async def connect_all(urls: list[tuple[int, str]], kind: str, recorder: Recorder, label: str) -> list[Client]:
    """Connect (port, url) pairs with bounded concurrency; every one must become ready."""
    loop = asyncio.get_running_loop()
    sem = asyncio.Semaphore(CONNECT_CONCURRENCY)
    clients: list[Client] = []
    started = time.perf_counter()

    async def one(idx: int, port: int, url: str) -> None:
        async with sem:
            _, client = await loop.create_connection(lambda: Client(idx, url, kind, recorder), "127.0.0.1", port)
            clients.append(client)
            await asyncio.wait_for(client.ready, CONNECT_TIMEOUT_S)

    tasks = [asyncio.ensure_future(one(i, port, url)) for i, (port, url) in enumerate(urls)]
    try:
        await asyncio.gather(*tasks)  # the first failure stops the lot
    except BaseException as exc:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for client in clients:
            client.abort()
        ready = sum(1 for c in clients if c.ready.done() and not c.ready.cancelled() and c.ready.exception() is None)
        raise RuntimeError(f"{label}: only {ready} of {len(urls)} sockets became ready; first failure: {exc!r}") from exc
    print(f"  {label}: {len(urls)} sockets ready in {time.perf_counter() - started:.1f}s", flush=True)
    clients.sort(key=lambda c: c.idx)
    return clients


async def close_all(clients: list[Client]) -> None:
    for client in clients:
        client.abort()
    await asyncio.sleep(0.5)


class Latencies:
    def __init__(self, name: str, sockets: int) -> None:
        self.name = name
        self.sockets = sockets
        self.values: list[float] = []  # seconds, measured rounds only
        self.lost = 0
        self.duplicated = 0
        self.round_p99: list[float] = []

    def add_round(self, label: str, per_socket: dict[int, list[float]], measured: bool) -> None:
        lats = sorted(v for values in per_socket.values() for v in values[:1])
        lost = self.sockets - sum(1 for values in per_socket.values() if values)
        dup = sum(len(values) - 1 for values in per_socket.values() if len(values) > 1)
        p50, p99, top = percentile(lats, 50), percentile(lats, 99), (lats[-1] if lats else float("nan"))
        note = "" if measured else "  (warm-up, not counted)"
        print(f"  {label:<34} p50 {p50 * 1e3:7.1f} ms  p99 {p99 * 1e3:7.1f} ms  max {top * 1e3:7.1f} ms"
              f"  lost {lost}  dup {dup}{note}", flush=True)
        if measured:
            self.values.extend(lats)
            self.lost += lost
            self.duplicated += dup
            self.round_p99.append(p99)

    def summary(self) -> tuple[float, float]:
        values = sorted(self.values)
        p50, p99 = percentile(values, 50), percentile(values, 99)
        spread = sorted(self.round_p99) or [float("nan")]
        print(f"{self.name:>8}: {len(values)} deliveries, p50 {p50 * 1e3:.1f} ms, p90 {percentile(values, 90) * 1e3:.1f} ms, "
              f"p99 {p99 * 1e3:.1f} ms, max {values[-1] * 1e3 if values else float('nan'):.1f} ms; "
              f"per-fan-out p99 from {spread[0] * 1e3:.1f} to {spread[-1] * 1e3:.1f} ms "
              f"(median {percentile(spread, 50) * 1e3:.1f}); lost {self.lost}, duplicated {self.duplicated}", flush=True)
        return p50, p99


async def wait_round(recorder: Recorder) -> None:
    try:
        await asyncio.wait_for(recorder.done.wait(), ROUND_TIMEOUT_S)
    except asyncio.TimeoutError:
        pass
    await asyncio.sleep(SETTLE_S)
