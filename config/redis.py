"""Connections to the service's Redis: the store, the queue and the event log."""

from __future__ import annotations

from arq.connections import RedisSettings
from redis.asyncio import Redis

from config.embedded import ensure_embedded
from config.settings import Settings


def redis_url(settings: Settings) -> str:
    """REDIS_URL when set, otherwise the embedded server's (started on first need)."""
    return settings.redis_url or ensure_embedded(settings.data_dir)


def connect(url: str) -> Redis:
    return Redis.from_url(url, decode_responses=True, health_check_interval=30)


def arq_settings(url: str) -> RedisSettings:
    return RedisSettings.from_dsn(url)
