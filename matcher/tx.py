"""The matcher's transactions: core's WATCH/MULTI loop, where a domain refusal stands only
on a consistent view and a conflict that never settles is a 409 `busy`."""

from __future__ import annotations

from typing import Awaitable, Callable, TypeVar

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from core import watched
from matcher.errors import BrokerageError, Conflict

T = TypeVar("T")
MAX_TRIES = 200


def _busy() -> Conflict:
    return Conflict("The record is changing too fast; try again.", code="busy")


async def transact(redis: Redis, keys: list[str], body: Callable[[Pipeline], Awaitable[T]]) -> T:
    """Run `body` under WATCH on `keys`; it reads, calls `pipe.multi()`, then queues writes."""
    return await watched(redis, keys, body, _busy, refusals=(BrokerageError,), max_tries=MAX_TRIES)
