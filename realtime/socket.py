"""The /ws endpoint: authenticate, replay what the client missed, then stream live events."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any
from urllib.parse import urlsplit

from starlette.websockets import WebSocket, WebSocketDisconnect

from accounts import AccountStore, User, token_hash
from core import EventLog, is_id, iso
from matcher import PackageStore
from realtime.hub import CLOSE_REVOKED, HEARTBEAT_S, Hub, stream_id
from realtime.quota import CLOSE_TOO_MANY, TOO_MANY
from realtime.replay import BAD_AFTER, parse_event_id, replay

CLOSE_TIMEOUT_S = 5.0
CLOSE_POLICY = 1008


class Feed:
    """One socket's session. It remembers the id of the last event sent, so replay and the
    live tail (subscribed before replay starts) never overlap or leave a gap."""

    __slots__ = ("websocket", "user", "hub", "events", "packages", "subscriber", "last_sent", "lock", "heartbeat_s", "position")

    def __init__(self, websocket: WebSocket, user: User, token: str, hub: Hub, events: EventLog, packages: PackageStore) -> None:
        self.websocket = websocket
        self.user = user
        self.hub = hub
        self.events = events
        self.packages = packages
        self.subscriber = hub.subscriber(user.id, user.is_broker, user.provider_id, token_hash(token))
        self.last_sent = (0, 0)
        self.lock = asyncio.Lock()
        self.heartbeat_s: float | None = None
        self.position = ""

    async def heartbeat(self) -> None:
        async with self.lock:
            await self.websocket.send_text(json.dumps({"type": "heartbeat", "at": iso(time.time())}))

    async def send(self, event_id: str, text: str) -> None:
        position = stream_id(event_id)
        if position <= self.last_sent:
            return
        self.last_sent = position
        await self.websocket.send_text(text)

    async def replay(self, after: str) -> None:
        if parse_event_id(after) is None:
            # A bad id is the client's mistake: say so and keep the socket.
            await self.websocket.send_text(BAD_AFTER)
            return
        async with self.lock:
            await replay(self.events, after, self.subscriber.wants, self.user.is_broker, self._send_replayed)

    async def _send_replayed(self, event_id: str, text: str) -> None:
        if event_id:
            await self.send(event_id, text)
        else:  # a notice, not an event
            await self.websocket.send_text(text)

    async def pump(self, receiver: asyncio.Task[None]) -> None:
        """Send what the hub queues until the receiver ends; once the subscriber is stopped,
        send what is pending as far as the client takes it, then return."""
        subscriber = self.subscriber
        draining = False
        while not receiver.done():
            if not subscriber.pending:
                if subscriber.stopped:
                    return
                if self.heartbeat_s is None:
                    await subscriber.wait()
                    continue
                try:
                    # Silence for this long means a heartbeat: the page can tell a quiet feed
                    # from a dead connection (a lost network often closes nothing).
                    await asyncio.wait_for(subscriber.wait(), self.heartbeat_s)
                except asyncio.TimeoutError:
                    if not receiver.done():
                        await self.heartbeat()
                continue
            if subscriber.stopped and not draining:
                draining = True
                subscriber.interrupt_soon()
            event_id, text = subscriber.pending.pop(0)
            subscriber.sending = True
            try:
                async with self.lock:
                    await self.send(event_id, text)
            finally:
                subscriber.sending = False

    async def receive(self, accounts: AccountStore) -> None:
        while True:
            raw = await self.websocket.receive_text()
            try:
                msg = json.loads(raw)
            except ValueError:
                continue
            if not isinstance(msg, dict):
                continue
            if msg.get("type") == "resume" and isinstance(msg.get("after"), str):
                await self.replay(msg["after"])
            elif msg.get("type") == "seen" and is_id(msg.get("package_id")):
                if self.user.provider_id:
                    await self.packages.mark_seen(msg["package_id"], self.user.provider_id)
            elif msg.get("type") == "ping":
                await self.websocket.send_text(json.dumps({"type": "pong"}))

    async def run(self, accounts: AccountStore, after: str | None) -> None:
        if after:
            await self.replay(after)
        if self.heartbeat_s is not None:
            # Tells the page the replay is over (it counts what arrived while it was away).
            await self.websocket.send_text(json.dumps({"type": "caught_up", "at": iso(time.time()), "data": {"after": after, "last_id": self.position}}))
        # Two tasks per socket: this one pumps, a second one reads what the client sends.
        receiver = asyncio.create_task(self.receive(accounts))
        receiver.add_done_callback(lambda _: self.subscriber.wake())
        self.subscriber.task = task = asyncio.current_task()
        try:
            await self.pump(receiver)
        except asyncio.CancelledError:
            # Subscriber.close() cut a stalled send short; any other cancellation goes on.
            if not (self.subscriber.interrupted and task is not None and task.uncancel() == 0):
                raise
        finally:
            self.subscriber.task = None
            if not receiver.done():
                receiver.cancel()
            await asyncio.gather(receiver, return_exceptions=True)
        if self.subscriber.stopped:
            # A stalled client may never read the close frame; do not wait on it forever.
            try:
                await asyncio.wait_for(self.websocket.close(self.subscriber.stop_code, self.subscriber.stop_reason), CLOSE_TIMEOUT_S)
            except (asyncio.TimeoutError, RuntimeError):
                pass
            return
        if not receiver.cancelled() and receiver.exception() is not None:
            raise receiver.exception()  # type: ignore[misc]


def origin_allowed(origin: str | None, host: str | None, public_url: str) -> bool:
    """No Origin (not a browser) or this site's own: the request's Host or PUBLIC_URL."""
    if origin is None:
        return True
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False
    public = urlsplit(public_url)
    return parts.netloc.lower() == (host or "").lower() or (parts.scheme, parts.netloc.lower()) == (public.scheme, public.netloc.lower())


async def endpoint(websocket: WebSocket) -> None:
    state: Any = websocket.state
    accounts: AccountStore = state.brokerage.accounts
    if not origin_allowed(websocket.headers.get("origin"), websocket.headers.get("host"), state.brokerage.settings.public_url):
        # A page on another site would otherwise ride on the browser's session cookie.
        await websocket.close(code=CLOSE_POLICY, reason="origin not allowed")
        return
    token = websocket.query_params.get("token") or websocket.cookies.get("session")
    user = await accounts.authenticate(token) if token else None
    await websocket.accept()
    if user is None or token is None:
        await websocket.close(code=CLOSE_REVOKED, reason="sign in first")
        return
    hub: Hub = state.hub
    if not hub.quota.take(user.id):
        await websocket.close(code=CLOSE_TOO_MANY, reason=TOO_MANY)
        return
    try:
        await _serve(websocket, user, token, hub, state)
    finally:
        hub.quota.give(user.id)


async def _serve(websocket: WebSocket, user: User, token: str, hub: Hub, state: Any) -> None:
    # Read before subscribing: every event after it is either queued for this socket or replayed
    # on a resume from it, so a page that has seen no event yet can still resume without a gap.
    position = await state.brokerage.events.last_id() if websocket.query_params.get("heartbeat") == "1" else None
    feed = Feed(websocket, user, token, hub, state.brokerage.events, state.brokerage.packages)
    if position is not None:
        feed.heartbeat_s = HEARTBEAT_S
        feed.position = position
        feed.subscriber.pages = True
    try:
        await feed.run(state.brokerage.accounts, websocket.query_params.get("after"))
    except WebSocketDisconnect:
        pass
    finally:
        hub.unsubscribe(feed.subscriber)
