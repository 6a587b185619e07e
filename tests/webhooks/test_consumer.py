"""The webhooks' consumer of the event stream (core.GroupConsumer) against a real Redis."""

from __future__ import annotations

import asyncio
import time

from config import connect, keys
from core import Event, GroupConsumer
from tests.support import RedisServer
from tests.waits import eventually


async def test_a_handler_that_raises_does_not_end_the_consumer(redis_server: RedisServer) -> None:
    """Any exception other than Redis's used to end the consumer's task silently, and with
    it every webhook delivery until the worker restarted."""
    redis = connect(redis_server.url(7))
    await redis.flushdb()
    seen: list[str] = []

    async def handle(events: list[Event]) -> None:
        if any(e.type == "poison" for e in events):
            raise ValueError("a bug in a handler")
        seen.extend(e.type for e in events)

    consumer = GroupConsumer(redis, "test-group", handle, "c1")
    task = asyncio.create_task(consumer.run())
    try:
        async def group_exists() -> bool:
            return await redis.exists(keys.EVENTS) and any(g["name"] == "test-group" for g in await redis.xinfo_groups(keys.EVENTS))

        await eventually(group_exists, "the group created")
        await redis.xadd(keys.EVENTS, {"type": "poison", "at": "2030-01-01T00:00:00Z"})

        async def poison_pending() -> bool:
            return (await redis.xpending(keys.EVENTS, "test-group"))["pending"] == 1

        await eventually(poison_pending, "the poisoned entry read and left pending")
        await redis.xadd(keys.EVENTS, {"type": "package.posted", "at": "2030-01-01T00:00:00Z"})

        async def later_handled() -> list[str]:
            return seen

        assert await eventually(later_handled, "a later event handled after the handler raised") == ["package.posted"]
        assert not task.done()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await redis.flushdb()
        await redis.aclose()


async def test_a_consumer_behind_the_stream_handles_an_entry_no_sooner_than_that_after_its_commit(redis_server: RedisServer) -> None:
    """The notifier plans behind the stream (NOTIFY_BEHIND_MS) so that, on shared cores, it
    does not compete with the live feed's writes of the same event. The wait counts from the
    commit (the entry id), so an entry already old, from a backlog, is handled at once."""
    redis = connect(redis_server.url(7))
    await redis.flushdb()
    handled: dict[str, float] = {}

    async def handle(events: list[Event]) -> None:
        handled.update({e.type: time.time() for e in events})

    consumer = GroupConsumer(redis, "test-group", handle, "c1", behind_s=3.0)
    task = asyncio.create_task(consumer.run())
    try:
        async def group_exists() -> bool:
            return await redis.exists(keys.EVENTS) and any(g["name"] == "test-group" for g in await redis.xinfo_groups(keys.EVENTS))

        await eventually(group_exists, "the group created")
        # A backlog entry, committed a minute ago: the stay behind has long passed.
        old_ms = int(time.time() * 1000) - 60_000
        read_from = time.time()
        await redis.xadd(keys.EVENTS, {"type": "package.posted", "at": "2030-01-01T00:00:00Z"}, id=f"{old_ms}-0")
        await eventually(lambda: _has(handled, "package.posted"), "the old entry handled", timeout=30)
        assert handled["package.posted"] - read_from < 2.5, "an old entry waited as if it were new"

        entry_id = await redis.xadd(keys.EVENTS, {"type": "package.awarded", "at": "2030-01-01T00:00:00Z"})
        committed = int((entry_id.decode() if isinstance(entry_id, bytes) else entry_id).split("-")[0]) / 1000
        await eventually(lambda: _has(handled, "package.awarded"), "the new entry handled", timeout=30)
        # Redis and this test share the machine's clock; 10 ms for the clock's rounding.
        assert handled["package.awarded"] - committed >= 2.99
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await redis.flushdb()
        await redis.aclose()


async def _has(handled: dict[str, float], event_type: str) -> bool:
    return event_type in handled
