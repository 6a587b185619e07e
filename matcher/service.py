"""The brokerage's parts wired together once, for the web process and the worker alike."""

from __future__ import annotations

from dataclasses import dataclass

from arq import create_pool
from arq.connections import ArqRedis
from redis.asyncio import Redis

import geo
from accounts import AccountStore
from config import Settings
from config.redis import arq_settings, connect, redis_url
from matcher import deadlines
from matcher.areas import AreaStore
from matcher.availability import AvailabilityStore
from matcher.availability_match import AvailabilityDesk
from matcher.offers import OfferBook
from matcher.model import Package
from matcher.packages import PackageStore
from matcher.providers import ProviderStore
from notifier import consumer as notify_consumer
from realtime.events import EventLog


@dataclass
class Brokerage:
    settings: Settings
    redis: Redis
    arq: ArqRedis
    postcodes: geo.PostcodeIndex
    events: EventLog
    accounts: AccountStore
    areas: AreaStore
    providers: ProviderStore
    packages: PackageStore
    offers: OfferBook
    deadlines: deadlines.DeadlineKeeper
    availability: AvailabilityDesk

    @classmethod
    async def open(cls, settings: Settings, postcodes: geo.PostcodeIndex | None = None) -> Brokerage:
        url = redis_url(settings)
        redis = connect(url)
        await notify_consumer.ensure_group(redis)
        arq = await create_pool(arq_settings(url))
        postcodes = postcodes or geo.PostcodeIndex.load(settings.geo_cache_dir)
        events = EventLog(redis, settings.event_retention_s)
        areas = AreaStore(redis, postcodes)
        providers = ProviderStore(redis, postcodes, areas)

        async def schedule(package: Package) -> None:
            await deadlines.schedule_window(arq, settings, package)

        slots = AvailabilityStore(redis, postcodes, events)
        packages = PackageStore(redis, settings, postcodes, areas, providers, events, schedule, availability=slots.fitting)
        return cls(
            settings=settings, redis=redis, arq=arq, postcodes=postcodes, events=events,
            accounts=AccountStore(redis, settings), areas=areas, providers=providers, packages=packages,
            offers=OfferBook(redis, settings, packages, providers, events),
            deadlines=deadlines.DeadlineKeeper(packages, arq),
            availability=AvailabilityDesk(slots, packages),
        )

    async def close(self) -> None:
        await self.arq.aclose()
        await self.redis.aclose()
