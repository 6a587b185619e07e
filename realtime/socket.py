"""The /ws endpoint: authenticate, replay what the client missed, then stream live events."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlsplit

from starlette.websockets import WebSocket, WebSocketDisconnect

from accounts import AccountStore, User, token_hash
from core import EventLog
from matcher import PackageStore
from realtime.hub import CLOSE_REVOKED, Hub, message, stream_id

REPLAY_PAGE = 500
CLOSE_TIMEOUT_S = 5.0
CLOSE_POLICY = 1008


class Feed:
    """One socket's session. It remembers the id of the last event sent, so replay and the
    live tail (subscribed before replay starts) never overlap or leave a gap."""

    __slots__ = ("websocket", "user", "hub", "events", "packages", "subscriber", "last_sent", "lock")

    def __init__(self, websocket: WebSocket, user: User, token: str, hub: Hub, events: EventLog, packages: PackageStore) -> None:
        self.websocket = websocket
        self.user = user
        self.hub = hub
        self.events = events
        self.packages = packages
        self.subscriber = hub.subscriber(user.id, user.is_broker, user.provider_id, token_hash(token))
        self.last_sent = (0, 0)
        self.lock = asyncio.Lock()

    async def send(self, event_id: str, text: str) -> None:
        position = stream_id(event_id)
        if position <= self.last_sent:
            return
        self.last_sent = position
        await self.websocket.send_text(text)

    async def replay(self, after: str) -> None:
        try:
            stream_id(after)
        except ValueError:
            await self.websocket.send_text(json.dumps({"type": "error", "data": {"message": "after must be an event id like 1700000000000-0"}}))
            return
        async with self.lock:
            oldest = await self.events.oldest_id()
            if oldest is not None and after not in ("0", "0-0") and stream_id(after) < stream_id(oldest):
                # What the client missed may have been trimmed: say so rather than skip silently.
                await self.websocket.send_text(json.dumps({
                    "type": "resync", "at": None,
                    "data": {"recovered": False, "oldest_id": oldest,
                             "reason": "events after that id are no longer kept; reload your state"},
                }))
            cursor = after
            while True:
                page = await self.events.after(cursor, REPLAY_PAGE)
                for event in page:
                    if self.subscriber.wants(event):
                        await self.send(event.id, message(event, for_broker=self.user.is_broker))
                if len(page) < REPLAY_PAGE:
                    break
                cursor = page[-1].id

    async def pump(self, receiver: asyncio.Task[None]) -> None:
        """Send what the hub queues until the receiver ends; once the subscriber is stopped,
        send what is pending as far as the client takes it, then return."""
        subscriber = self.subscriber
        draining = False
        while not receiver.done():
            if not subscriber.pending:
                if subscriber.stopped:
                    return
                await subscriber.wait()
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
            elif msg.get("type") == "seen" and isinstance(msg.get("package_id"), str):
                if self.user.provider_id:
                    await self.packages.mark_seen(msg["package_id"], self.user.provider_id)
            elif msg.get("type") == "ping":
                await self.websocket.send_text(json.dumps({"type": "pong"}))

    async def run(self, accounts: AccountStore, after: str | None) -> None:
        if after:
            await self.replay(after)
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
    feed = Feed(websocket, user, token, hub, state.brokerage.events, state.brokerage.packages)
    try:
        await feed.run(accounts, websocket.query_params.get("after"))
    except WebSocketDisconnect:
        pass
    finally:
        hub.unsubscribe(feed.subscriber)
