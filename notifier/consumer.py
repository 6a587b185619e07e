"""The worker's reader of the event stream, as one consumer of a Redis consumer group.

Every worker joins the group `notifier` on `hb:events`; Redis hands each entry to one of
them (XREADGROUP), and an entry is acknowledged (XACK) only after its notifications are
recorded and queued. Entries left pending by a consumer that died are taken over with
XAUTOCLAIM once idle long enough. Planning is idempotent, so a takeover that races a slow
but living consumer costs work, never a duplicate message.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from config import is_outage, keys, outage
from core import Event
from notifier.planner import Planner

log = logging.getLogger("notifier.consumer")
BATCH = 200  # entries per read: bounds what one consumer holds unacknowledged
BLOCK_MS = 1000
CLAIM_IDLE_MS = 15_000  # an entry pending this long belongs to a dead (or stuck) consumer
CLAIM_EVERY_S = 5.0
FORGET_CONSUMER_IDLE_MS = 3_600_000  # consumers gone this long with nothing pending are removed


class EventConsumer:
    def __init__(self, redis: Redis, planner: Planner, name: str) -> None:
        self.redis = redis
        self.planner = planner
        self.name = name
        self._last_claim = 0.0

    async def run(self) -> None:
        await self._ensure_group(start="$")
        while True:
            try:
                await self.step()
            except asyncio.CancelledError:
                raise
            except ResponseError as exc:
                if "NOGROUP" not in str(exc):
                    log.warning("event consumer: %s; retrying", exc)
                    await asyncio.sleep(1)
                    continue
                # The stream was deleted (and maybe re-created): everything in it is new.
                await self._ensure_group(start="0")
            except (RedisError, OSError) as exc:
                if not is_outage(exc):
                    log.warning("event consumer: %s; retrying", type(exc).__name__)
                outage.REDIS.failed(exc, "notification consumer")
                await asyncio.sleep(1)
            else:
                outage.REDIS.succeeded()

    async def step(self) -> int:
        if time.monotonic() - self._last_claim > CLAIM_EVERY_S:
            self._last_claim = time.monotonic()
            await self._take_over()
        reply = await self.redis.xreadgroup(keys.NOTIFY_GROUP, self.name, {keys.EVENTS: ">"}, count=BATCH, block=BLOCK_MS)
        handled = 0
        for _stream, entries in reply or []:
            handled += await self._handle(entries)
        return handled

    async def _handle(self, entries: list[Any]) -> int:
        ids = [entry_id for entry_id, _ in entries]
        events = [Event.from_entry(entry_id, raw) for entry_id, raw in entries if raw]
        if events:
            await self.planner.handle(events)
        if ids:
            await self.redis.xack(keys.EVENTS, keys.NOTIFY_GROUP, *ids)
        return len(ids)

    async def _take_over(self) -> None:
        start = "0-0"
        for _ in range(10):  # bounded: at most 10 pages per pass
            reply = await self.redis.xautoclaim(keys.EVENTS, keys.NOTIFY_GROUP, self.name, CLAIM_IDLE_MS, start, count=BATCH)
            start, entries = reply[0], reply[1]
            if entries:
                log.info("took over %d events from a silent consumer", len(entries))
                await self._handle(entries)
            if start in ("0-0", b"0-0"):
                break
        await self._forget_departed()

    async def _forget_departed(self) -> None:
        for consumer in await self.redis.xinfo_consumers(keys.EVENTS, keys.NOTIFY_GROUP):
            if consumer["name"] != self.name and consumer["pending"] == 0 and consumer["idle"] > FORGET_CONSUMER_IDLE_MS:
                await self.redis.xgroup_delconsumer(keys.EVENTS, keys.NOTIFY_GROUP, consumer["name"])

    async def _ensure_group(self, start: str) -> None:
        await ensure_group(self.redis, start)


async def ensure_group(redis: Redis, start: str = "$") -> None:
    """Create the consumer group if it is missing. Every process of the service calls this
    when it opens, so the group exists before the first event a web process writes, even if
    no worker has started yet: those events wait for the worker instead of being skipped.
    History from before the group first existed is not replayed ("$"); the events of a
    re-created stream all are ("0")."""
    try:
        await redis.xgroup_create(keys.EVENTS, keys.NOTIFY_GROUP, id=start, mkstream=True)
    except ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise
