"""Sight of a package: the first time any user of a matched provider saw it. It stops the
SMS fallback. Kept apart from PackageStore so the realtime process, which needs nothing else
of the matcher, can record it without loading the postcode index."""

from __future__ import annotations

import time

from redis.asyncio import Redis

from config import keys


class Sightings:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def mark_seen(self, package_id: str, provider_id: str) -> bool:
        """Record the first sight by `provider_id`; only a matched provider's sight counts."""
        if not await self.redis.hexists(keys.package_matches(package_id), provider_id):
            return False
        return bool(await self.redis.hsetnx(keys.package_seen(package_id), provider_id, str(time.time())))

    async def seen_by(self, package_id: str, provider_id: str) -> bool:
        return bool(await self.redis.hexists(keys.package_seen(package_id), provider_id))
