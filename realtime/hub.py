"""One reader per process tails the event stream and fans each event out to the sockets
of this process: no per-socket Redis reads, one serialisation per event and audience.

A second task listens for revoked sessions so a signed-out token's sockets close at once,
on whichever process holds them."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from config import keys
from realtime.events import Event

log = logging.getLogger("realtime.hub")
BLOCK_MS = 5000
CLOSE_REVOKED = 4401
CLOSE_TOO_SLOW = 4408


@dataclass(eq=False)
class Subscriber:
    user_id: str
    is_broker: bool
    provider_id: str | None
    token_hash: str
    queue: asyncio.Queue[tuple[str, str]]
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    stop_code: int = 1000
    stop_reason: str = ""

    def wants(self, event: Event) -> bool:
        return self.is_broker or (self.provider_id is not None and self.provider_id in event.audience)

    def close(self, code: int, reason: str) -> None:
        if not self.stop.is_set():
            self.stop_code, self.stop_reason = code, reason
            self.stop.set()


def message(event: Event, *, for_broker: bool) -> str:
    data: dict[str, Any] = event.data
    if for_broker and event.audience and "provider_ids" not in data and "provider_id" not in data:
        data = {**data, "provider_ids": event.audience}
    return json.dumps({"id": event.id, "type": event.type, "at": event.at, "data": data}, separators=(",", ":"))


def stream_id(text: str) -> tuple[int, int]:
    ms, _, seq = text.partition("-")
    return int(ms), int(seq or 0)


class Hub:
    def __init__(self, redis: Redis, send_queue: int) -> None:
        self.redis = redis
        self.send_queue = send_queue
        self.subscribers: set[Subscriber] = set()
        self.last_id = "$"
        self.dispatched = 0

    def subscriber(self, user_id: str, is_broker: bool, provider_id: str | None, token_hash: str) -> Subscriber:
        sub = Subscriber(user_id, is_broker, provider_id, token_hash, asyncio.Queue(self.send_queue))
        self.subscribers.add(sub)
        return sub

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self.subscribers.discard(subscriber)

    async def start_position(self) -> None:
        entries = await self.redis.xrevrange(keys.EVENTS, count=1)
        self.last_id = entries[0][0] if entries else "0-0"

    async def run(self) -> None:
        await self.start_position()
        while True:
            try:
                batches = await self.redis.xread({keys.EVENTS: self.last_id}, block=BLOCK_MS, count=500)
            except (RedisError, OSError) as exc:
                log.warning("event stream read failed (%s); retrying", type(exc).__name__)
                await asyncio.sleep(1)
                continue
            for _stream, entries in batches:
                for entry_id, raw in entries:
                    self.last_id = entry_id
                    self.dispatch(Event.from_entry(entry_id, raw))

    def dispatch(self, event: Event) -> None:
        self.dispatched += 1
        broker_text: str | None = None
        provider_text: str | None = None
        for subscriber in list(self.subscribers):
            if not subscriber.wants(event):
                continue
            if subscriber.is_broker:
                broker_text = broker_text or message(event, for_broker=True)
                text = broker_text
            else:
                provider_text = provider_text or message(event, for_broker=False)
                text = provider_text
            try:
                subscriber.queue.put_nowait((event.id, text))
            except asyncio.QueueFull:
                subscriber.close(CLOSE_TOO_SLOW, "too far behind; reconnect with ?after=<last event id>")

    async def watch_revocations(self) -> None:
        while True:
            try:
                async with self.redis.pubsub() as pubsub:
                    await pubsub.subscribe(keys.REVOKED_SESSIONS)
                    async for item in pubsub.listen():
                        if item.get("type") == "message":
                            self.revoke(str(item["data"]))
            except (RedisError, OSError) as exc:
                log.warning("revocation listener failed (%s); retrying", type(exc).__name__)
                await asyncio.sleep(1)

    def revoke(self, token_hash: str) -> None:
        for subscriber in list(self.subscribers):
            if subscriber.token_hash == token_hash:
                subscriber.close(CLOSE_REVOKED, "signed out")
