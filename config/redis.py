"""Connections to the service's Redis: the store, the queue and the event log."""

from __future__ import annotations

from arq.connections import RedisSettings
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import BusyLoadingError, ConnectionError, TimeoutError

from config.embedded import ensure_embedded
from config.settings import Settings


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
    settings = RedisSettings.from_dsn(url)
    settings.retry_on_error = [ConnectionError, TimeoutError, BusyLoadingError]
    settings.retry = Retry(ExponentialBackoff(cap=1.0, base=0.05), retries=-1)
    return settings
