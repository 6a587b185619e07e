"""The webhooks' consumer of the event stream (core.GroupConsumer) against a real Redis."""

from __future__ import annotations

import asyncio

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
