"""Optimistic transactions for the stores below the matcher (accounts) and beside it
(webhooks): WATCH the keys a change reads, then write in MULTI/EXEC, again on a conflict.

The matcher has its own (`matcher.tx.transact`, with its refusal rules and replica wait);
this is the plain loop, for a change and its audit entry to commit as one."""

from __future__ import annotations

import asyncio
import random
from typing import Awaitable, Callable, TypeVar

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.exceptions import WatchError

T = TypeVar("T")
MAX_TRIES = 100


async def watched(redis: Redis, keys: list[str], body: Callable[[Pipeline], Awaitable[T]],
                  busy: Callable[[], Exception]) -> T:
    """Run `body` under WATCH on `keys`: it reads, calls `pipe.multi()`, then queues writes
    (or queues none: the empty EXEC still confirms what it read). A watched key changed
    before EXEC: nothing was written, so `body` runs again on fresh reads; after MAX_TRIES
    such conflicts, `busy()` is raised (the caller's own "try again" error)."""
    async with redis.pipeline(transaction=True) as pipe:
        for attempt in range(MAX_TRIES):
            try:
                await pipe.watch(*keys)
                result = await body(pipe)
                await pipe.execute()
                return result
            except WatchError:
                await pipe.reset()
                # Spread retries so contenders do not collide again in lockstep.
                await asyncio.sleep(random.uniform(0, 0.002 * min(attempt + 1, 10)))
    raise busy()
