"""Whether this process can reach Redis, so an outage is logged once, not once per request.

Every part that meets a connection error (requests, the event reader, the worker's loops)
reports it here; the first report of an outage logs one warning, later ones only count.
The first success after it logs one line with the outage's length and what it cost.
"""

from __future__ import annotations

import builtins
import functools
import logging
import time
from typing import Any, Awaitable, Callable, TypeVar

from arq import Retry

from redis.exceptions import BusyLoadingError, ConnectionError, RedisError, TimeoutError

log = logging.getLogger("config.outage")
T = TypeVar("T")

# What "Redis is not there" looks like to redis-py: refused or dropped connections, timeouts,
# and a restarted server still loading its AOF. Other RedisErrors are bugs, not outages.
UNAVAILABLE = (ConnectionError, TimeoutError, BusyLoadingError, builtins.ConnectionError)
RETRY_AFTER_S = 2


def is_outage(exc: BaseException) -> bool:
    """A connection failure, or a Redis error raised because of one: redis-py turns a
    connection lost inside WATCH into a WatchError whose cause is the ConnectionError."""
    if isinstance(exc, UNAVAILABLE):
        return True
    if not isinstance(exc, RedisError):
        return False
    seen: BaseException | None = exc.__cause__ or exc.__context__
    for _ in range(10):
        if seen is None:
            return False
        if isinstance(seen, UNAVAILABLE):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


class Outage:
    def __init__(self) -> None:
        self.since: float | None = None
        self.refused = 0

    @property
    def down(self) -> bool:
        return self.since is not None

    def failed(self, exc: BaseException, where: str) -> None:
        if self.since is None:
            self.since = time.monotonic()
            self.refused = 0
            log.warning("Redis unavailable (%s in %s); answering 503 until it is back", type(exc).__name__, where)
        self.refused += 1

    def succeeded(self) -> None:
        if self.since is not None:
            log.warning("Redis reachable again after %.1f s; %d operations refused meanwhile",
                        time.monotonic() - self.since, self.refused)
            self.since = None


# One per process: the web process's requests and tasks, or the worker's loops.
REDIS = Outage()


def retry_on_outage(job: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
    """An arq job that meets an outage is tried again later (1, 2, 4 ... 30 s) rather than
    failing with a traceback; its work is idempotent (deadlines close a window once)."""

    @functools.wraps(job)
    async def wrapper(ctx: dict[str, Any], *args: Any, **kwargs: Any) -> T:
        try:
            return await job(ctx, *args, **kwargs)
        except Exception as exc:
            if not is_outage(exc):
                raise
            REDIS.failed(exc, job.__name__)
            raise Retry(defer=min(2 ** ctx.get("job_try", 1), 30)) from exc

    return wrapper
