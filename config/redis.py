"""Connections to the service's Redis: the store, the queue and the event log.

Three ways to find it, chosen by the settings: REDIS_SENTINELS (Redis Sentinel finds the
primary of REDIS_MASTER_NAME and clients follow a failover), REDIS_URL (one server), or
neither (the embedded server under DATA_DIR, started on first need)."""

from __future__ import annotations

from dataclasses import dataclass

from arq.connections import RedisSettings
from redis.asyncio import Redis
from redis.asyncio.sentinel import Sentinel
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import BusyLoadingError, ConnectionError, TimeoutError

from config.embedded import ensure_embedded
from config.keys import REPLICATION_MARK
from config.settings import Settings

# Sentinel is asked at most this long for the primary; a failover takes seconds, not minutes.
SENTINEL_TIMEOUT_S = 1.0


@dataclass(frozen=True)
class Durability:
    """How many replicas must acknowledge a committed change, and for how long to wait.

    Replication is asynchronous: a primary killed just after a commit can take the change
    with it when a replica is promoted. WAIT after the commit closes that window."""

    replicas: int = 0
    timeout_ms: int = 500

    async def settle(self, redis: Redis) -> int:
        """Wait until `replicas` replicas hold every write committed so far; returns how many
        did. WAIT counts the writes of its own connection, so it follows a write of its own
        on one pipelined connection: that write comes after the commit in the replication
        stream, so its acknowledgement covers the commit too."""
        if self.replicas <= 0:
            return 0
        async with redis.pipeline(transaction=False) as pipe:
            pipe.incr(REPLICATION_MARK)
            pipe.execute_command("WAIT", self.replicas, self.timeout_ms)
            _, acknowledged = await pipe.execute()
        return int(acknowledged)


@dataclass(frozen=True)
class RedisTarget:
    """Where the service's Redis is: one URL, or a set of sentinels and a primary's name."""

    url: str | None = None
    sentinels: tuple[tuple[str, int], ...] = ()
    master_name: str = "mymaster"
    # Replicas that must hold a committed change before it is acknowledged (REDIS_WAIT_REPLICAS).
    wait_replicas: int = 0
    wait_ms: int = 500

    def connect(self) -> Redis:
        if self.sentinels:
            # The timeout is the sentinels' alone. Given to Sentinel() as a connection option it
            # also bounds every read from the primary, so a blocking read (the event reader's
            # XREAD BLOCK, the revocation listener's SUBSCRIBE) failed after a quiet second as
            # if Redis were down, and a revocation published meanwhile was missed.
            sentinel = Sentinel(list(self.sentinels), sentinel_kwargs=sentinel_options(), decode_responses=True)
            client = sentinel.master_for(self.master_name, decode_responses=True, health_check_interval=30,
                                         socket_connect_timeout=SENTINEL_TIMEOUT_S)
        else:
            assert self.url is not None
            client = connect(self.url)
        # Read by matcher.tx.transact after every commit: the one place state changes are made.
        client.durability = Durability(self.wait_replicas, self.wait_ms)  # type: ignore[attr-defined]
        return client

    def arq_settings(self) -> RedisSettings:
        if self.sentinels:
            return RedisSettings(host=list(self.sentinels), sentinel=True, sentinel_master=self.master_name,
                                 conn_timeout=2, conn_retries=30, conn_retry_delay=1)
        assert self.url is not None
        return arq_settings(self.url)

    def worker_arq_settings(self) -> RedisSettings:
        """The worker's queue connection: waits a Redis outage out (see worker_arq_settings)."""
        settings = self.arq_settings()
        settings.retry_on_error = [ConnectionError, TimeoutError, BusyLoadingError]
        settings.retry = Retry(ExponentialBackoff(cap=1.0, base=0.05), retries=-1)
        return settings

    def describe(self) -> str:
        """For start-up messages: never a password."""
        if self.sentinels:
            return f"sentinel {','.join(f'{h}:{p}' for h, p in self.sentinels)} primary {self.master_name}"
        return (self.url or "").split("@")[-1]


def sentinel_options() -> dict[str, float]:
    """How a sentinel is asked: briefly, then the next one."""
    return {"socket_timeout": SENTINEL_TIMEOUT_S, "socket_connect_timeout": SENTINEL_TIMEOUT_S}


def redis_target(settings: Settings) -> RedisTarget:
    durable = {"wait_replicas": settings.redis_wait_replicas, "wait_ms": settings.redis_wait_ms}
    if settings.redis_sentinels:
        return RedisTarget(sentinels=settings.redis_sentinels, master_name=settings.redis_master_name, **durable)
    return RedisTarget(url=redis_url(settings), **durable)


def redis_url(settings: Settings) -> str:
    """REDIS_URL when set, otherwise the embedded server's (started on first need)."""
    return settings.redis_url or ensure_embedded(settings.data_dir)


def connect(url: str) -> Redis:
    return Redis.from_url(url, decode_responses=True, health_check_interval=30)


def arq_settings(url: str) -> RedisSettings:
    return RedisSettings.from_dsn(url)


def worker_arq_settings(url: str) -> RedisSettings:
    """The worker's own queue connection waits out a Redis outage (retrying with backoff up
    to a second apart) instead of raising: arq's poll loop would otherwise end the worker
    process on the first refused connection. Requests never use this: they answer 503."""
    return RedisTarget(url=url).worker_arq_settings()
