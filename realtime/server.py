"""The realtime process (`realtime` in the Procfile): `/ws` served by the websockets
library's own server, for when thousands of sockets share a process.

Same contract as the web process's `/ws` (auth by token or session cookie, resume with
`after`, `seen`, scopes, revocation, 4408 for a socket too far behind), a cheaper fan-out:
each event is encoded once per audience and written straight into every live socket's
transport with `websockets.broadcast`, with no task and no mailbox per socket. A socket
whose unsent bytes pass the limit is closed with 4408 and resumes with `after`.

While a socket replays what it missed, live events wait in its backlog (bounded), and are
sent after the replay without gap or repeat: a socket only moves to the live path once its
backlog is flushed, in one synchronous step.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import time
from dataclasses import dataclass, field
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qs, urlsplit

from redis.asyncio import Redis
from websockets.asyncio.server import ServerConnection, broadcast
from websockets.exceptions import ConnectionClosed
from websockets.protocol import State

from accounts import AccountStore, User, token_hash
from core import Event, EventLog, is_id, iso
from matcher import Sightings
from realtime.hub import CLOSE_REVOKED, CLOSE_TOO_SLOW, HEARTBEAT_S, TEAM_ONLY, message, provider_wants
from realtime.quota import CLOSE_TOO_MANY, TOO_MANY, SocketQuota
from realtime.replay import BAD_AFTER, parse_event_id, replay
from realtime.tail import StreamTail

log = logging.getLogger("realtime.server")
TOO_SLOW = "too far behind; reconnect with ?after=<last event id>"
KERNEL_SEND_BUFFER = 64 * 1024


@dataclass(eq=False, slots=True)
class LiveSocket:
    connection: ServerConnection
    user: User
    token_hash: str
    # While replaying, live events wait here; None once the socket is on the live path.
    backlog: list[tuple[tuple[int, int], str, bytes]] | None = field(default_factory=list)
    last_sent: tuple[int, int] = (0, 0)
    # The page asked for heartbeats (`?heartbeat=1`): it judges the connection by silence.
    heartbeat: bool = False

    def wants(self, event: Event) -> bool:
        return self.user.is_broker or provider_wants(self.user.provider_id, event, self.heartbeat)


class Broadcaster(StreamTail):
    def __init__(self, redis: Redis, *, max_buffer_bytes: int, backlog_limit: int, max_per_user: int = 0) -> None:
        super().__init__(redis)
        self.quota = SocketQuota(max_per_user)
        self.max_buffer_bytes = max_buffer_bytes
        self.backlog_limit = backlog_limit
        self.sockets: set[LiveSocket] = set()
        self.brokers: set[LiveSocket] = set()
        self.by_provider: dict[str, set[LiveSocket]] = {}
        self.heartbeats: set[LiveSocket] = set()
        self.closing: set[asyncio.Task[None]] = set()

    def add(self, sock: LiveSocket) -> None:
        self.sockets.add(sock)
        if sock.heartbeat:
            self.heartbeats.add(sock)
        if sock.user.is_broker:
            self.brokers.add(sock)
        elif sock.user.provider_id is not None:
            self.by_provider.setdefault(sock.user.provider_id, set()).add(sock)

    def remove(self, sock: LiveSocket) -> None:
        self.sockets.discard(sock)
        self.heartbeats.discard(sock)
        self.brokers.discard(sock)
        group = self.by_provider.get(sock.user.provider_id or "")
        if group is not None:
            group.discard(sock)
            if not group:
                del self.by_provider[sock.user.provider_id or ""]

    def dispatch(self, event: Event) -> None:
        if self.brokers:
            self._deliver(event, self.brokers, message(event, for_broker=True))
        audience = [s for p in dict.fromkeys(event.audience) for s in self.by_provider.get(p, ())
                    if s.heartbeat or event.type not in TEAM_ONLY]
        if audience:
            self._deliver(event, audience, message(event, for_broker=False))

    def _deliver(self, event: Event, sockets: set[LiveSocket] | list[LiveSocket], text: str) -> None:
        data = text.encode()
        position = parse_event_id(event.id) or (0, 0)
        live = []
        for sock in list(sockets):  # a slow socket leaves these sets as it is closed
            if sock.backlog is not None:
                if len(sock.backlog) >= self.backlog_limit:
                    self.close(sock, CLOSE_TOO_SLOW, TOO_SLOW)
                else:
                    sock.backlog.append((position, event.id, data))
            elif self._behind(sock):
                self.close(sock, CLOSE_TOO_SLOW, TOO_SLOW)
            else:
                sock.last_sent = position
                live.append(sock.connection)
        if live:
            broadcast(live, data, text=True)

    def _behind(self, sock: LiveSocket) -> bool:
        transport = sock.connection.transport
        return transport is not None and transport.get_write_buffer_size() > self.max_buffer_bytes

    def go_live(self, sock: LiveSocket) -> None:
        """Send the backlog gathered during a replay, then put the socket on the live path;
        synchronous, so no event can slip between the two."""
        backlog, sock.backlog = sock.backlog or [], None
        for position, _, data in backlog:
            if position > sock.last_sent:
                sock.last_sent = position
                broadcast([sock.connection], data, text=True)

    def close(self, sock: LiveSocket, code: int, reason: str) -> None:
        self.remove(sock)
        if sock.connection.state is State.OPEN:
            task = asyncio.create_task(sock.connection.close(code, reason))
            self.closing.add(task)
            task.add_done_callback(self.closing.discard)

    def revoke(self, token_hash: str) -> None:
        for sock in [s for s in self.sockets if s.token_hash == token_hash]:
            self.close(sock, CLOSE_REVOKED, "signed out")

    def connections(self) -> list[ServerConnection]:
        return [sock.connection for sock in self.sockets]

    def token_hashes(self) -> set[str]:
        return {sock.token_hash for sock in self.sockets}

    def beat(self) -> int:
        """One heartbeat to every live socket that asked for them: encoded once, written by
        one broadcast, whatever the traffic (cheaper than a timer per socket)."""
        live = [s.connection for s in self.heartbeats if s.backlog is None]
        if live:
            broadcast(live, json.dumps({"type": "heartbeat", "at": iso(time.time())}), text=True)
        return len(live)

    async def beat_forever(self, every_s: float = HEARTBEAT_S) -> None:
        while True:
            await asyncio.sleep(every_s)
            self.beat()


class RealtimeServer:
    """The `/ws` handler of the realtime process."""

    def __init__(self, accounts: AccountStore, events: EventLog, sightings: Sightings, broadcaster: Broadcaster) -> None:
        self.accounts = accounts
        self.events = events
        self.sightings = sightings
        self.broadcaster = broadcaster

    async def handle(self, connection: ServerConnection) -> None:
        request = connection.request
        assert request is not None
        url = urlsplit(request.path)
        if url.path != "/ws":
            await connection.close(1008, "only /ws is served here")
            return
        query = parse_qs(url.query)
        token = (query.get("token") or [None])[0] or _cookie(request.headers.get("Cookie"), "session")
        user = await self.accounts.authenticate(token) if token else None
        if user is None or token is None:
            await connection.close(CLOSE_REVOKED, "sign in first")
            return
        if not self.broadcaster.quota.take(user.id):
            await connection.close(CLOSE_TOO_MANY, TOO_MANY)
            return
        try:
            await self._serve(connection, user, token, query)
        finally:
            self.broadcaster.quota.give(user.id)

    async def _serve(self, connection: ServerConnection, user: User, token: str, query: dict[str, list[str]]) -> None:
        _bound_kernel_buffer(connection)
        sock = LiveSocket(connection, user, token_hash(token), heartbeat=(query.get("heartbeat") or [""])[0] == "1")
        # Read before subscribing: every event after it is either in the backlog or replayed
        # on a resume from it, so a page that has seen no event yet can resume without a gap.
        position = await self.events.last_id() if sock.heartbeat else None
        self.broadcaster.add(sock)
        try:
            after = (query.get("after") or [None])[0]
            await self._resume(sock, after)
            if sock.heartbeat:
                # Tells the page the replay is over (it counts what arrived while it was away).
                await connection.send(json.dumps({"type": "caught_up", "at": iso(time.time()),
                                                  "data": {"after": after, "last_id": position}}))
            async for raw in connection:
                await self._on_message(sock, raw)
        except ConnectionClosed:
            pass
        finally:
            self.broadcaster.remove(sock)

    async def _resume(self, sock: LiveSocket, after: str | None) -> None:
        if after is not None and parse_event_id(after) is None:
            await sock.connection.send(BAD_AFTER)
            after = None
        if after is not None:
            if sock.backlog is None:
                sock.backlog = []

            async def send(event_id: str, text: str) -> None:
                position = parse_event_id(event_id) if event_id else None
                if position is not None:
                    if position <= sock.last_sent:
                        return
                    sock.last_sent = position
                await sock.connection.send(text)

            await replay(self.events, after, sock.wants, sock.user.is_broker, send)
        self.broadcaster.go_live(sock)

    async def _on_message(self, sock: LiveSocket, raw: str | bytes) -> None:
        try:
            msg = json.loads(raw)
        except ValueError:
            return
        if not isinstance(msg, dict):
            return
        kind = msg.get("type")
        if kind == "resume" and isinstance(msg.get("after"), str):
            await self._resume(sock, msg["after"])
        elif kind == "seen" and is_id(msg.get("package_id")) and sock.user.provider_id:
            await self.sightings.mark_seen(msg["package_id"], sock.user.provider_id)
        elif kind == "ping":
            await sock.connection.send(json.dumps({"type": "pong"}))


def _bound_kernel_buffer(connection: ServerConnection) -> None:
    """Cap the kernel's send buffer for this socket. Left alone, Linux grows it to megabytes
    on a fast link, so a stalled client would hold that much memory and be noticed late;
    capped, what a socket may fall behind is the buffer limit plus this."""
    raw = connection.transport.get_extra_info("socket")
    if raw is not None:
        with contextlib.suppress(OSError):
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, KERNEL_SEND_BUFFER)


def _cookie(header: str | None, name: str) -> str | None:
    if not header:
        return None
    jar = SimpleCookie()
    try:
        jar.load(header)
    except CookieError:  # a malformed cookie header is the client's problem: no cookie
        return None
    morsel = jar.get(name)
    return morsel.value if morsel else None
