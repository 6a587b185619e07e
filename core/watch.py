"""Optimistic transactions: WATCH the keys a change reads, then write in MULTI/EXEC, again
on a conflict. Every store's changes go through this one loop (the matcher's `transact`
adds its refusal rule), so each waits for replicas the same way.

Redis runs EXEC only if no watched key changed since WATCH, so two processes deciding at the
same moment (two awards, an offer racing a deadline) never both win: the loser re-reads and
sees the new state."""

from __future__ import annotations

import asyncio
import logging
import random
from typing import Awaitable, Callable, TypeVar

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.exceptions import WatchError

T = TypeVar("T")
log = logging.getLogger("core.watch")
MAX_TRIES = 100


async def watched(redis: Redis, keys: list[str], body: Callable[[Pipeline], Awaitable[T]],
                  busy: Callable[[], Exception], *, refusals: tuple[type[Exception], ...] = (),
                  max_tries: int = MAX_TRIES) -> T:
    """Run `body` under WATCH on `keys`: it reads, calls `pipe.multi()`, then queues writes
    (or queues none: the empty EXEC still confirms what it read). A watched key changed
    before EXEC: nothing was written, so `body` runs again on fresh reads; after `max_tries`
    such conflicts, `busy()` is raised (the caller's own "try again" error). A refusal
    (`refusals`) raised by `body` stands only if what it read was one consistent view."""
    async with redis.pipeline(transaction=True) as pipe:
        for attempt in range(max_tries):
            try:
                await pipe.watch(*keys)
                try:
                    result = await body(pipe)
                except refusals:
                    await _confirm_snapshot(pipe)
                    raise
                await pipe.execute()
                break
            except WatchError:
                await pipe.reset()
                # Spread retries so contenders do not collide again in lockstep.
                await asyncio.sleep(random.uniform(0, 0.002 * min(attempt + 1, 10)))
        else:
            raise busy()
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
