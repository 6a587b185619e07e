"""The brokerage's parts wired together once, for the web process and the worker alike.

This is the composition root: it stands above every domain package (it opens the notifier's
consumer groups, which the matcher must not know of) and below the process entry points.
Nothing here runs at import; `Brokerage.open` connects when a process starts."""

from __future__ import annotations

from dataclasses import dataclass

from arq import create_pool
from arq.connections import ArqRedis
from redis.asyncio import Redis

import geo
from accounts import AccountStore, PushSubscriptions
from config import Settings, keys, redis_target
from core import AuditTrail, EventLog, ensure_group
from matcher import (
    AreaStore,
    AvailabilityDesk,
    AvailabilityStore,
    DeadlineKeeper,
    OfferBook,
    Package,
    PackageImports,
    PackageStore,
    RoundBook,
    RoundMap,
    ProviderStore,
    PurchaseOrders,
    Questions,
    TimeRequests,
    Variations,
    schedule_window,
)
from webhooks import DeliveryLog, Endpoints


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
    deadlines: DeadlineKeeper
    availability: AvailabilityDesk
    round_map: RoundMap
    audit: AuditTrail
    subscriptions: PushSubscriptions
    purchase_orders: PurchaseOrders
    questions: Questions
    time_requests: TimeRequests
    variations: Variations
    webhook_endpoints: Endpoints
    webhook_deliveries: DeliveryLog
    imports: PackageImports

    @classmethod
    async def open(cls, settings: Settings, postcodes: geo.PostcodeIndex | None = None) -> Brokerage:
        target = redis_target(settings)
        redis = target.connect()
        # The consumer groups exist before the first event, so no worker can start past one.
        await ensure_group(redis, keys.NOTIFY_GROUP)
        await ensure_group(redis, keys.WEBHOOK_GROUP)
        arq = await create_pool(target.arq_settings())
        postcodes = postcodes or geo.PostcodeIndex.load(settings.geo_cache_dir)
        events = EventLog(redis, settings.event_retention_s)
        areas = AreaStore(redis, postcodes)
        providers = ProviderStore(redis, postcodes, areas)

        async def schedule(package: Package) -> None:
            await schedule_window(arq, settings, package)

        slots = AvailabilityStore(redis, postcodes, events)
        rounds = RoundBook(redis, postcodes, slots, settings.round_speed_kmh)
        packages = PackageStore(redis, settings, postcodes, areas, providers, events, schedule,
                                availability=slots.fitting, rounds=rounds)
        orders = PurchaseOrders(redis, events, settings.call_bands)
        return cls(
            settings=settings, redis=redis, arq=arq, postcodes=postcodes, events=events,
            accounts=AccountStore(redis, settings), areas=areas, providers=providers, packages=packages,
            offers=OfferBook(redis, settings, packages, providers, events, orders),
            deadlines=DeadlineKeeper(packages, arq),
            availability=AvailabilityDesk(slots, packages),
            round_map=RoundMap(packages, providers, rounds),
            audit=AuditTrail(redis),
            subscriptions=PushSubscriptions(redis),
            purchase_orders=orders, questions=Questions(redis, packages, events),
            time_requests=TimeRequests(redis, packages, events),
            variations=Variations(redis, packages, events, orders, settings.variation_flex),
            webhook_endpoints=Endpoints(redis, events), webhook_deliveries=DeliveryLog(redis),
            imports=PackageImports(redis, packages),
        )

    async def close(self) -> None:
        await self.arq.aclose()
        await self.redis.aclose()
