"""A reader of the event stream as one consumer of a Redis consumer group.

Every worker joins a group on `hb:events` (the notifier's, the webhooks'); Redis hands each
entry to one of them (XREADGROUP), and an entry is acknowledged (XACK) only after the handler
has recorded what it means. Entries left pending by a consumer that died are taken over with
XAUTOCLAIM once idle long enough. Handlers are idempotent, so a takeover that races a slow
but living consumer costs work, never a duplicate.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Awaitable, Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from config import is_outage, keys, outage
from core.events import Event

log = logging.getLogger("core.groups")
BATCH = 200  # entries per read: bounds what one consumer holds unacknowledged
BLOCK_MS = 1000
CLAIM_IDLE_MS = 15_000  # an entry pending this long belongs to a dead (or stuck) consumer
CLAIM_EVERY_S = 5.0
FORGET_CONSUMER_IDLE_MS = 3_600_000  # consumers gone this long with nothing pending are removed

Handler = Callable[[list[Event]], Awaitable[Any]]


class GroupConsumer:
    def __init__(self, redis: Redis, group: str, handle: Handler, name: str, *, behind_s: float = 0.0) -> None:
        self.redis = redis
        self.group = group
        self.handle = handle
        self.name = name
        # Handle an entry no sooner than this long after its commit (see _stay_behind).
        self.behind_s = behind_s
        self._last_claim = 0.0

    async def run(self) -> None:
        await ensure_group(self.redis, self.group, start="$")
        while True:
            try:
                await self.step()
            except asyncio.CancelledError:
                raise
            except ResponseError as exc:
                if "NOGROUP" not in str(exc):
                    log.warning("%s consumer: %s; retrying", self.group, exc)
                    await asyncio.sleep(1)
                    continue
                # The stream was deleted (and maybe re-created): everything in it is new.
                await ensure_group(self.redis, self.group, start="0")
            except (RedisError, OSError) as exc:
                if not is_outage(exc):
                    log.warning("%s consumer: %s; retrying", self.group, type(exc).__name__)
                outage.REDIS.failed(exc, f"{self.group} consumer")
                await asyncio.sleep(1)
            except Exception:
                # A handler's bug must not end the task for good (nothing restarts it): the
                # batch stays pending and is taken over again; later entries keep flowing.
                log.exception("%s consumer: handling a batch failed; retrying", self.group)
                await asyncio.sleep(1)
            else:
                outage.REDIS.succeeded()

    async def step(self) -> int:
        if time.monotonic() - self._last_claim > CLAIM_EVERY_S:
            self._last_claim = time.monotonic()
            await self._take_over()
        reply = await self.redis.xreadgroup(self.group, self.name, {keys.EVENTS: ">"}, count=BATCH, block=BLOCK_MS)
        handled = 0
        for _stream, entries in reply or []:
            await self._stay_behind(entries)
            handled += await self._handle(entries)
        return handled

    async def _stay_behind(self, entries: list[Any]) -> None:
        """Wait until the newest entry is `behind_s` old. A consumer whose work is slow anyway
        (email, SMS, webhooks) then spends its CPU after the live feed has written the same
        event to every socket, not during it, when both share a machine's cores. The age is
        read from the entry id (Redis's clock); a skewed local clock only changes the wait
        within [0, behind_s]."""
        if self.behind_s <= 0 or not entries:
            return
        committed_s = _order(entries[-1][0])[0] / 1000
        wait = min(self.behind_s, committed_s + self.behind_s - time.time())
        if wait > 0:
            await asyncio.sleep(wait)

    async def _handle(self, entries: list[Any]) -> int:
        ids = [entry_id for entry_id, _ in entries]
        events = [Event.from_entry(entry_id, raw) for entry_id, raw in entries if raw]
        if events:
            await self.handle(events)
        if ids:
            await self.redis.xack(keys.EVENTS, self.group, *ids)
        return len(ids)

    async def _take_over(self) -> None:
        start = "0-0"
        for _ in range(10):  # bounded: at most 10 pages per pass
            reply = await self.redis.xautoclaim(keys.EVENTS, self.group, self.name, CLAIM_IDLE_MS, start, count=BATCH)
            start, entries = reply[0], reply[1]
            if entries:
                log.info("%s: took over %d events from a silent consumer", self.group, len(entries))
                await self._handle(entries)
            if start in ("0-0", b"0-0"):
                break
        await self._forget_departed()

    async def _forget_departed(self) -> None:
        for consumer in await self.redis.xinfo_consumers(keys.EVENTS, self.group):
            if consumer["name"] != self.name and consumer["pending"] == 0 and consumer["idle"] > FORGET_CONSUMER_IDLE_MS:
                await self.redis.xgroup_delconsumer(keys.EVENTS, self.group, consumer["name"])


async def ensure_group(redis: Redis, group: str, start: str = "$") -> None:
    """Create the consumer group if it is missing. Every process of the service calls this
    when it opens, so the group exists before the first event a web process writes, even if
    no worker has started yet: those events wait for the worker instead of being skipped.
    History from before the group first existed is not replayed ("$"); the events of a
    re-created stream all are ("0")."""
    try:
        await redis.xgroup_create(keys.EVENTS, group, id=start, mkstream=True)
    except ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


async def settled_before(redis: Redis, group: str, event_id: str) -> bool:
    """True when every entry before `event_id` has been handled by the group: none of them is
    still pending with a consumer. (Entries are handed out in order, so an earlier entry not
    pending was acknowledged.)"""
    try:
        summary = await redis.xpending(keys.EVENTS, group)
    except ResponseError as exc:
        if "NOGROUP" in str(exc):
            return False  # the stream was re-created; its group is about to be too
        raise
    if not summary or not summary.get("pending"):
        return True
    return _order(summary["min"]) >= _order(event_id)


def _order(entry_id: str | bytes) -> tuple[int, int]:
    text = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    ms, _, seq = text.partition("-")
    return int(ms), int(seq or 0)
