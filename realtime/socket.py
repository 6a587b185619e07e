"""The /ws endpoint: authenticate, replay what the client missed, then stream live events."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from accounts import AccountStore, User
from config import keys
from realtime.events import EventLog
from realtime.hub import Hub, Subscriber, message, stream_id

CLOSE_UNAUTHENTICATED = 4401
CLOSE_TOO_SLOW = 4408
REPLAY_PAGE = 500


class Feed:
    """One socket's session: keeps the id of the last event sent so replay and the live tail
    never overlap or leave a gap."""

    def __init__(self, websocket: WebSocket, user: User, hub: Hub, events: EventLog) -> None:
        self.websocket = websocket
        self.user = user
        self.hub = hub
        self.events = events
        self.subscriber = Subscriber(user.id, user.is_broker, user.provider_id)
        self.last_sent = (0, 0)
        self.lock = asyncio.Lock()

    async def send(self, event_id: str, text: str) -> None:
        if stream_id(event_id) <= self.last_sent:
            return
        self.last_sent = stream_id(event_id)
        await self.websocket.send_text(text)

    async def replay(self, after: str) -> None:
        try:
            stream_id(after)
        except ValueError:
            await self.websocket.send_text(json.dumps({"type": "error", "data": {"message": "after must be an event id"}}))
            return
        async with self.lock:
            oldest = await self.events.oldest_id()
            if oldest is not None and stream_id(after) < stream_id(oldest) and after != "0":
                # What the client missed has been trimmed: say so rather than skip silently.
                await self.websocket.send_text(json.dumps({
                    "type": "resync", "at": None,
                    "data": {"recovered": False, "reason": "events after that id are no longer kept; reload your state", "oldest_id": oldest},
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

    async def pump(self) -> None:
        while True:
            event_id, text = await self.subscriber.queue.get()
            async with self.lock:
                await self.send(event_id, text)

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
                await record_seen(accounts, self.user, msg["package_id"])
            elif msg.get("type") == "ping":
                await self.websocket.send_text(json.dumps({"type": "pong"}))

    async def watch_overflow(self) -> None:
        await self.subscriber.overflowed.wait()


async def record_seen(accounts: AccountStore, user: User, package_id: str) -> None:
    if not user.provider_id:
        return
    redis = accounts.redis
    if await redis.hexists(keys.package_matches(package_id), user.provider_id):
        await redis.hsetnx(keys.package_seen(package_id), user.provider_id, str(time.time()))


async def endpoint(websocket: WebSocket) -> None:
    state: Any = websocket.state
    accounts: AccountStore = state.brokerage.accounts
    token = websocket.query_params.get("token") or websocket.cookies.get("session")
    user = await accounts.authenticate(token) if token else None
    await websocket.accept()
    if user is None:
        await websocket.close(code=CLOSE_UNAUTHENTICATED, reason="sign in first")
        return
    hub: Hub = state.hub
    feed = Feed(websocket, user, hub, state.brokerage.events)
    hub.subscribe(feed.subscriber)  # before replay, so nothing falls between replay and live
    try:
        after = websocket.query_params.get("after")
        if after:
            await feed.replay(after)
        tasks = [asyncio.create_task(feed.pump()), asyncio.create_task(feed.receive(accounts)), asyncio.create_task(feed.watch_overflow())]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        if feed.subscriber.overflowed.is_set():
            await websocket.close(code=CLOSE_TOO_SLOW, reason="too far behind; reconnect with ?after=<last id>")
        else:
            for task in done:
                exc = task.exception()
                if exc is not None and not isinstance(exc, WebSocketDisconnect):
                    raise exc
    except WebSocketDisconnect:
        pass
    finally:
        hub.unsubscribe(feed.subscriber)
