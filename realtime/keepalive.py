"""Keepalive for thousands of sockets: one sweep, not a task per socket.

A phone that loses its network leaves a half-open TCP connection that nothing else notices,
and a proxy closes a socket that stays silent (nginx after 60 s), so every socket is pinged.
The websockets library's own keepalive does it with a task per connection (a timer, a ping
awaited through flow control, a timeout): at 10,000 idle sockets that was ~4.5 % of a core
in the realtime process, in waves following the order the sockets connected, and on a
shared machine it showed in every POST's latency (`bench/fanout.py`: p99 1.3-1.6x of
that with no socket, where the target is 1.2x).

Here one task pings every socket once per interval, a few at a time, the frame written
straight into the transport as `broadcast` writes messages (no future, no timer, no wait
on a slow reader), and a socket from which no whole frame has been heard since a ping sent
at least half an interval ago is dropped (so a dead peer goes within 20-40 s, as before),
unless that ping is still queued behind data the peer is reading: slow is not gone, and too
slow is WS_BUFFER_BYTES' call (4408). Any frame counts as life: a pong, a `seen`, a client's
ping.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Any, Callable, Iterable

from websockets.asyncio.server import ServerConnection
from websockets.frames import Frame
from websockets.protocol import State

log = logging.getLogger("realtime.keepalive")

PING_EVERY_S = 20.0
# The sockets are pinged in this many steps over each interval (0.1 s apart), so the pongs
# come back a few dozen at a time: one burst of 10,000 held both cores for tens of ms and
# every POST that landed in it waited.
STEPS = 200
PING = b"keepalive"


class HeardConnection(ServerConnection):
    """A connection that notes when its peer was last heard from (serve's
    `create_connection`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.heard_at = self.loop.time()
        self.pinged_at = 0.0
        # Bytes handed to the transport so far, and (at the last ping, or the last look at an
        # unanswered one) where the ping ends in that count and how much had left the buffer.
        self.written = 0
        self.ping_end = 0
        self.sent_seen = 0

    def process_event(self, event: Any) -> None:
        # A whole frame counts as life, not any byte: a peer stuck inside a frame it never
        # finishes cannot answer a ping, however long it trickles.
        if isinstance(event, Frame):
            self.heard_at = self.loop.time()
        super().process_event(event)

    def send_data(self) -> None:
        # As ServerConnection.send_data, counting the bytes (broadcast writes through it too).
        for data in self.protocol.data_to_send():
            if data:
                self.written += len(data)
                self.transport.write(data)
            elif self.transport.can_write_eof():
                try:
                    self.transport.write_eof()
                except Exception:  # as websockets: write_eof() may raise OSError or RuntimeError
                    pass
            else:
                self.transport.close()

    def sent(self) -> int:
        """Bytes that have left the process's buffer for the kernel's."""
        return self.written - self.transport.get_write_buffer_size()


class Keepalive:
    def __init__(self, connections: Callable[[], Iterable[ServerConnection]], *,
                 every_s: float = PING_EVERY_S, steps: int = STEPS) -> None:
        self.connections = connections
        self.every_s = every_s
        self.steps = steps
        # A pong has this long to arrive; judged no sooner, whatever the order of the sweep.
        self.pong_within_s = every_s / 2

    async def run_forever(self) -> None:
        while True:
            # Weak: a socket that closes during the interval is freed at once, not held up to
            # `every_s` (~8-10 KiB each: 80-100 MiB for 10,000 reconnecting at once).
            try:
                batch = [weakref.ref(conn) for conn in self.connections()]
            except Exception:  # nor a bug in the listing: the task is not watched by anyone
                log.exception("keepalive could not list the sockets; trying again next interval")
                batch = []
            per_step = -(-len(batch) // self.steps)
            for step in range(self.steps):
                await asyncio.sleep(self.every_s / self.steps)
                try:
                    self.sweep([conn for ref in batch[step * per_step:(step + 1) * per_step]
                                if (conn := ref()) is not None])
                except Exception:  # a bug here must not end keepalive for the process's life
                    log.exception("keepalive sweep failed; the next step goes on")

    def sweep(self, connections: Iterable[ServerConnection]) -> tuple[int, int]:
        """Ping these sockets; drop those silent since a ping sent long enough ago. Returns
        (pinged, dropped)."""
        pinged = dropped = 0
        now = asyncio.get_running_loop().time()
        for conn in connections:
            if not isinstance(conn, HeardConnection) or conn.transport is None or conn.protocol.state is not State.OPEN:
                continue
            if conn.pinged_at and conn.heard_at < conn.pinged_at:
                if now - conn.pinged_at >= self.pong_within_s:
                    sent = conn.sent()
                    if conn.sent_seen < conn.ping_end and sent > conn.sent_seen:
                        # The ping was queued behind data the peer has been reading since: it is
                        # slow, not gone (too slow is WS_BUFFER_BYTES' call, with 4408). The
                        # pong's time starts again from now.
                        conn.sent_seen = sent
                        conn.pinged_at = now
                    else:
                        conn.transport.abort()
                        dropped += 1
                continue
            try:
                conn.protocol.send_ping(PING)
                conn.send_data()
            except Exception:  # as broadcast does: one broken socket must not stop the sweep
                log.warning("keepalive ping failed", exc_info=True)
                continue
            conn.pinged_at = now
            conn.ping_end = conn.written
            conn.sent_seen = conn.sent()
            pinged += 1
        if dropped:
            log.info("dropped %d sockets silent since their last ping", dropped)
        return pinged, dropped
