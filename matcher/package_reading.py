"""Reading packages: one, many, by role (a broker sees everything, a provider what it was
matched to or awarded), the brokers' search and the providers' board order.

The base of `PackageStore` (matcher/packages.py): it holds the store's parts, which the
posting and closing layers above it use too."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from redis.asyncio import Redis

import geo
from config import Settings, keys
from core import EventLog
from matcher import explain, search, views
from matcher.areas import AreaStore
from matcher.errors import NotFound
from matcher.model import URGENCIES, Match, Package
from matcher.providers import ProviderStore
from matcher.round_book import RoundBook
from matcher.search import PackageQuery
from matcher.sight import Sightings

# Called after a window opens so the worker fires at its end (and reminds before it).
Scheduler = Callable[[Package], Awaitable[None]]
# Providers whose declared availability fits a package (issue: availability first).
AvailabilityLookup = Callable[[Package], Awaitable[frozenset[str]]]


async def _no_availability(package: Package) -> frozenset[str]:
    return frozenset()


@dataclass(frozen=True)
class Reader:
    """Who is asking: brokers see everything, a provider only what it was matched to."""

    user_id: str
    is_broker: bool
    provider_id: str | None


class PackageReading:
    """The store's parts, and every read of a package."""

    def __init__(
        self, redis: Redis, settings: Settings, postcodes: geo.PostcodeIndex, areas: AreaStore,
        providers: ProviderStore, events: EventLog, schedule: Scheduler,
        availability: AvailabilityLookup = _no_availability, rounds: RoundBook | None = None,
    ) -> None:
        self.redis = redis
        self.settings = settings
        self.postcodes = postcodes
        self.areas = areas
        self.providers = providers
        self.events = events
        self.schedule = schedule
        self.availability = availability
        self.sightings = Sightings(redis)
        self.rounds = rounds

    # -- reading -----------------------------------------------------------------------------

    async def load(self, package_id: str) -> Package:
        package = await self.find(package_id)
        if package is None:
            raise NotFound("No such package.")
        return package

    async def find(self, package_id: str) -> Package | None:
        raw = await self.redis.get(keys.package(package_id))
        return Package.from_dict(json.loads(raw)) if raw is not None else None

    async def load_many(self, package_ids: list[str]) -> dict[str, Package]:
        """The packages that exist among `package_ids`, in one round trip."""
        if not package_ids:
            return {}
        raws = await self.redis.mget([keys.package(i) for i in package_ids])
        return {i: Package.from_dict(json.loads(raw)) for i, raw in zip(package_ids, raws, strict=True) if raw is not None}

    async def match_report(self, package_id: str) -> dict[str, Any]:
        """How many providers each eligibility rule excluded (for a package that reached few)."""
        package = await self.load(package_id)
        matched = set(await self.redis.hkeys(keys.package_matches(package_id)))
        return explain.explain(await self.providers.snapshot(), package, matched).to_dict()

    # -- sight (stops the SMS fallback) --------------------------------------------------------

    async def mark_seen(self, package_id: str, provider_id: str) -> bool:
        return await self.sightings.mark_seen(package_id, provider_id)

    async def seen_by(self, package_id: str, provider_id: str) -> bool:
        return await self.sightings.seen_by(package_id, provider_id)

    async def match_of(self, package_id: str, provider_id: str) -> Match | None:
        raw = await self.redis.hget(keys.package_matches(package_id), provider_id)
        return Match.from_dict(json.loads(raw)) if raw else None

    async def matches(self, package_id: str) -> dict[str, Match]:
        raw = await self.redis.hgetall(keys.package_matches(package_id))
        return {pid: Match.from_dict(json.loads(m)) for pid, m in raw.items()}

    async def view(self, package_id: str, reader: Reader) -> dict[str, Any]:
        package = await self._visible(package_id, reader)
        if reader.is_broker:
            return views.broker_view(package)
        match = await self.match_of(package_id, reader.provider_id or "")
        if package.awarded_provider_id == reader.provider_id and package.status == "awarded":
            return views.awarded_view(package, match)
        fit = (await self.rounds.board(reader.provider_id or "", [package]))[package.id] if self.rounds else None
        return views.provider_view(package, match, fit)

    async def _visible(self, package_id: str, reader: Reader) -> Package:
        package = await self.load(package_id)
        if reader.is_broker:
            return package
        if reader.provider_id and (
            package.awarded_provider_id == reader.provider_id
            or await self.redis.hexists(keys.package_matches(package_id), reader.provider_id)
        ):
            return package
        raise NotFound("No such package.")

    async def require_match(self, package_id: str, provider_id: str) -> tuple[Package, Match]:
        package = await self.load(package_id)
        match = await self.match_of(package_id, provider_id)
        if match is None:
            raise NotFound("No such package.")
        return package, match

    async def list(self, reader: Reader, *, status: str | None, urgency: str | None, area: str | None, limit: int) -> list[dict[str, Any]]:
        if reader.is_broker:
            ids = await self.redis.zrevrange(keys.PACKAGES, 0, -1)
        else:
            pid = reader.provider_id or ""
            matched = await self.redis.zrevrange(keys.provider_packages(pid), 0, -1)
            awarded = await self.redis.zrevrange(keys.provider_awards(pid), 0, -1)
            ids = list(dict.fromkeys([*awarded, *matched]))
        out: list[dict[str, Any]] = []
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            kept = []
            for raw in await self.redis.mget([keys.package(i) for i in chunk]):
                if raw is None:
                    continue
                package = Package.from_dict(json.loads(raw))
                if not reader.is_broker and not _provider_lists(package, reader.provider_id):
                    continue
                if (status and package.status != status) or (urgency and package.urgency != urgency) or (area and package.area != area):
                    continue
                kept.append(package)
            out.extend(await self._listed(kept[: limit - len(out)], reader))
            if len(out) >= limit:
                break
        return _board_order(out)

    async def _listed(self, packages: list[Package], reader: Reader) -> list[dict[str, Any]]:
        if reader.is_broker:
            return [views.broker_view(p) for p in packages]
        # One round trip for the provider's match records of the whole page.
        async with self.redis.pipeline(transaction=False) as pipe:
            for package in packages:
                pipe.hget(keys.package_matches(package.id), reader.provider_id or "")
            raws = await pipe.execute()
        fits = await self.rounds.board(reader.provider_id or "", packages) if self.rounds and packages else {}
        listed = []
        for package, raw in zip(packages, raws, strict=True):
            match = Match.from_dict(json.loads(raw)) if raw else None
            view = views.awarded_view if package.status == "awarded" else views.provider_view
            listed.append(view(package, match, fits.get(package.id)))
        return listed

    async def search(self, query: PackageQuery) -> tuple[list[Package], int]:
        """Brokers' search over every package, newest first: one page and how many answer."""
        ids = await self.redis.zrevrange(keys.PACKAGES, 0, -1)
        skip = (query.page - 1) * query.per_page
        page: list[Package] = []
        total = 0
        for start in range(0, len(ids), 500):
            for raw in await self.redis.mget([keys.package(i) for i in ids[start:start + 500]]):
                if raw is None:
                    continue
                package = Package.from_dict(json.loads(raw))
                if not search.answers(package, query):
                    continue
                if skip <= total < skip + query.per_page:
                    page.append(package)
                total += 1
        return page, total

    async def offer_counts(self, package_ids: list[str]) -> dict[str, int]:
        """Offers made on each package (any status), in one round trip."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for package_id in package_ids:
                pipe.hlen(keys.package_offers(package_id))
            counts = await pipe.execute()
        return dict(zip(package_ids, counts, strict=True))


def _provider_lists(package: Package, provider_id: str | None) -> bool:
    if package.awarded_provider_id == provider_id and package.status == "awarded":
        return True
    return package.status == "live"


def _board_order(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Most urgent first, then newest: what a provider must see without scrolling."""
    rank = {u: n for n, u in enumerate(URGENCIES)}
    items.sort(key=lambda p: p["posted_at"], reverse=True)
    items.sort(key=lambda p: (not p.get("matched_availability", False), rank.get(p["urgency"], 9)) if p["status"] == "live" else (True, 9))
    return items
