"""Optimistic transactions: WATCH the keys a decision reads, then write in MULTI/EXEC.

Redis runs EXEC only if no watched key changed since WATCH, so two processes deciding at the
same moment (two awards, an offer racing a deadline) never both win: the loser re-reads and
sees the new state.
"""

from __future__ import annotations

import asyncio
import logging
import random
from typing import Awaitable, Callable, TypeVar

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.exceptions import WatchError

from matcher.errors import BrokerageError, Conflict

T = TypeVar("T")
log = logging.getLogger("matcher.tx")
MAX_TRIES = 200


async def transact(redis: Redis, keys: list[str], body: Callable[[Pipeline], Awaitable[T]]) -> T:
    """Run `body` under WATCH on `keys`; it reads, calls `pipe.multi()`, then queues writes."""
    async with redis.pipeline(transaction=True) as pipe:
        for attempt in range(MAX_TRIES):
            try:
                await pipe.watch(*keys)
                try:
                    result = await body(pipe)
                except BrokerageError:
                    await _confirm_snapshot(pipe)
                    raise
                await pipe.execute()
                break
            except WatchError:
                await pipe.reset()
                # Spread retries so contenders do not collide again in lockstep.
                await asyncio.sleep(random.uniform(0, 0.002 * min(attempt + 1, 10)))
        else:
            raise Conflict("The record is changing too fast; try again.", code="busy")
    await _replicated(redis)
    return result


async def _replicated(redis: Redis) -> None:
    """With REDIS_WAIT_REPLICAS set, a change is acknowledged only once replicas hold it, so
    a failover cannot lose it (config.redis.Durability)."""
    durability = getattr(redis, "durability", None)
    if durability is None or durability.replicas <= 0:
        return
    acknowledged = await durability.settle(redis)
    if acknowledged < durability.replicas:
        log.warning("a change is on the primary but only %d of %d replicas acknowledged it in %d ms",
                    acknowledged, durability.replicas, durability.timeout_ms)


async def _confirm_snapshot(pipe: Pipeline) -> None:
    """A refusal may rest on reads that straddled another writer's commit (the package read
    before an award, its offers after). An EXEC of a no-op raises WatchError if any watched
    key changed, so the caller retries on a consistent view instead of refusing wrongly."""
    if pipe.explicit_transaction:
        return  # writes are already queued: never run them; the refusal stands
    pipe.multi()
    pipe.ping()
    await pipe.execute()
