"""Packages: posting with matching, reading by role, withdrawal and hand-back.

A package's state lives in one JSON key; every change is made under WATCH together with
the events that record it, so state and audit trail can never disagree.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

import geo
from config import Settings, keys
from core import Event, EventLog, iso, new_id, parse_iso
from matcher import eligibility, explain, search, state, views
from matcher.areas import AreaStore
from matcher.errors import Conflict, Forbidden, Invalid, NotFound
from matcher.inputs import PackageInput
from matcher.model import (
    OPEN_STATUSES,
    TIERS,
    URGENCIES,
    Match,
    Package,
)
from matcher.providers import ProviderStore
from matcher.sight import Sightings
from matcher.rounds import RoundBook
from matcher.search import PackageQuery
from matcher.tx import transact

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


class PackageStore:
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

    # -- posting -----------------------------------------------------------------------------

    async def post(self, needs: PackageInput, actor: str) -> Package:
        package = await self.new_package(needs, actor)
        wave = await self.first_wave(package)
        fits = await self.round_fits(package, wave)

        async def write(pipe: Pipeline) -> None:
            pipe.multi()
            self.queue_post(pipe, package, wave, actor, fits)

        await transact(self.redis, [keys.package(package.id)], write)
        await self.schedule(package)
        return package

    async def repost(self, package_id: str, actor: str) -> Package:
        """A copy of an unplaced or withdrawn package, posted afresh (a new window, matched now)."""
        original = await self.load(package_id)
        if original.status not in ("unplaced", "withdrawn"):
            raise Conflict(f"The package is {original.status}; only an unplaced or withdrawn package can be re-posted.", code="package_not_closed")
        successor = await self.new_package(PackageInput.model_validate(_needs_of(original)), actor, original)
        wave = await self.first_wave(successor)
        fits = await self.round_fits(successor, wave)

        async def write(pipe: Pipeline) -> Package:
            pipe.multi()
            self.queue_post(pipe, successor, wave, actor, fits)
            return successor

        await transact(self.redis, [keys.package(successor.id)], write)
        await self.schedule(successor)
        return successor

    async def new_package(self, needs: PackageInput, actor: str, previous: Package | None = None) -> Package:
        place = self._place(needs.postcode)
        await self._check_excluded(needs.excluded_providers)
        area = await self.areas.for_district(place.district)
        now = time.time()
        values = needs.model_dump(exclude={"postcode"})
        return Package(
            id=new_id("pkg"), status="live", postcode=place.postcode, district=place.district,
            sector=place.sector, easting=place.easting, northing=place.northing,
            area=area.name if area else None, posted_at=iso(now), posted_by=actor,
            # Rounded up: ISO times drop the fraction, and a window must never be shorter than configured.
            deadline=iso(math.ceil(now + self.settings.window_s(needs.urgency))),
            previous_hand_backs=list(previous.previous_hand_backs) if previous else [],
            previous_package_id=previous.id if previous else None,
            **values,
        )

    def _place(self, postcode: str) -> geo.Place:
        try:
            return self.postcodes.lookup(postcode)
        except geo.MalformedPostcode:
            raise Invalid({"postcode": "is not a valid UK postcode (expected something like \"SG1 1AA\")"}) from None
        except geo.UnknownPostcode:
            raise Invalid({"postcode": "is well-formed but unknown: no such postcode exists"}) from None

    async def _check_excluded(self, excluded: list[str]) -> None:
        """Every ruled-out provider must be one the service knows (a typo would exclude no one)."""
        if not excluded:
            return
        snapshot = await self.providers.snapshot()
        unknown = next((i for i in excluded if i not in snapshot.providers), None)
        if unknown is not None:
            raise Invalid({"excluded_providers": f"{unknown!r} is not a known provider"})

    async def match(self, package: Package, exclude: frozenset[str] = frozenset()) -> list[eligibility.Candidate]:
        # Every wave, availability match and successor obeys the package's own exclusions.
        exclude = exclude | frozenset(package.excluded_providers)
        snapshot = await self.providers.snapshot()
        needs = eligibility.Needs(package.service_type, package.client_group, tuple(package.specialisms))
        place = geo.Place(package.postcode, package.district, package.sector, package.easting, package.northing, 0.0, 0.0)
        return eligibility.candidates(snapshot, needs, place, package.area, await self.availability(package), exclude)

    async def first_wave(self, package: Package, exclude: frozenset[str] = frozenset()) -> list[eligibility.Candidate]:
        found = await self.match(package, exclude)
        if self.settings.release == "all":
            package.released_tiers = list(TIERS)
            return found
        tiers = eligibility.by_tier(found)
        # An empty tier is skipped: waiting a whole window with nobody told helps no one.
        first = next((t for t in TIERS if tiers[t]), TIERS[0])
        package.released_tiers = list(TIERS[: TIERS.index(first) + 1])
        return tiers[first]

    async def round_fits(self, package: Package, wave: list[eligibility.Candidate]) -> dict[str, dict[str, Any] | None]:
        """Each candidate's round fit, read before the transaction that announces the wave."""
        if self.rounds is None or not wave:
            return {}
        return await self.rounds.fits(package, [c.provider.id for c in wave])

    def queue_post(self, pipe: Pipeline, package: Package, wave: list[eligibility.Candidate], actor: str,
                    fits: dict[str, dict[str, Any] | None] | None = None) -> None:
        package.matched = len(wave)
        pipe.set(keys.package(package.id), json.dumps(package.to_dict()))
        pipe.zadd(keys.PACKAGES, {package.id: parse_iso(package.posted_at)})
        pipe.zadd(keys.DEADLINES, {package.id: parse_iso(package.deadline)})
        self.events.queue(pipe, Event(
            type="package.posted", actor=actor, package_id=package.id,
            data={"package": views.broker_view(package), "matched": package.matched,
                  "provider_ids": [c.provider.id for c in wave]},
        ))
        self.queue_wave(pipe, package, wave, actor, fits)

    def queue_wave(self, pipe: Pipeline, package: Package, wave: list[eligibility.Candidate], actor: str,
                   fits: dict[str, dict[str, Any] | None] | None = None) -> None:
        """Record and announce the matches of one wave, in notification order."""
        now = time.time()
        for candidate in wave:
            match = Match(
                provider_id=candidate.provider.id, wave=package.wave, tier=candidate.tier, at=iso(now),
                matched_availability=candidate.matched_availability, distance_km=candidate.distance_km,
            )
            pipe.hset(keys.package_matches(package.id), candidate.provider.id, json.dumps(match.to_dict()))
            pipe.zadd(keys.provider_packages(candidate.provider.id), {package.id: now})
            self.events.queue(pipe, Event(
                type="package.matched", actor=actor, package_id=package.id, audience=[candidate.provider.id],
                data={"provider_id": candidate.provider.id, "package": views.provider_view(package, match, (fits or {}).get(candidate.provider.id))},
            ))

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

    # -- closing -----------------------------------------------------------------------------

    async def withdraw(self, package_id: str, reason: str, actor: str) -> Package:

        async def write(pipe: Pipeline) -> Package:
            package = await state.load_in(pipe, package_id)
            if package.status not in OPEN_STATUSES:
                raise Conflict(f"The package is {package.status} and can no longer be withdrawn.", code="package_not_open")
            matched = await pipe.hkeys(keys.package_matches(package_id))
            offers = await state.offers_in(pipe, package_id)
            now = iso(time.time())
            pipe.multi()
            state.queue_close(pipe, package, "withdrawn", "withdrawn", now)
            state.decline_submitted(pipe, package_id, offers, now)
            self.events.queue(pipe, Event(type="package.withdrawn", actor=actor, package_id=package_id, data={"package_id": package_id, "reason": reason}))
            if matched:
                self.events.queue(pipe, Event(type="package.closed", actor=actor, package_id=package_id, audience=matched, data={"package_id": package_id, "reason": "withdrawn"}))
            return package

        return await transact(self.redis, [keys.package(package_id), keys.package_offers(package_id)], write)

    async def hand_back(self, package_id: str, reason: str, reader: Reader) -> Package:
        package = await self._visible(package_id, reader)
        if package.awarded_provider_id != reader.provider_id:
            raise Forbidden("Only the provider the package was awarded to can hand it back.")
        now = time.time()
        previous = Package.from_dict({**package.to_dict(), "previous_hand_backs": [*package.previous_hand_backs, {"reason": reason, "at": iso(now)}]})
        successor = await self.new_package(PackageInput.model_validate(_needs_of(package)), reader.user_id, previous)
        # The provider that handed it back cannot deliver it; it is not asked again.
        wave = await self.first_wave(successor, exclude=frozenset({reader.provider_id or ""}))
        fits = await self.round_fits(successor, wave)

        async def write(pipe: Pipeline) -> Package:
            current = await state.load_in(pipe, package_id)
            if current.status != "awarded":
                raise Conflict(f"The package is {current.status}; only an awarded package can be handed back.", code="package_not_awarded")
            current.new_package_id = successor.id
            pipe.multi()
            state.queue_close(pipe, current, "handed_back", "handed_back", iso(now))
            pipe.zrem(keys.provider_awards(reader.provider_id or ""), package_id)
            pipe.incr(keys.provider_rounds_version(reader.provider_id or ""))
            self.events.queue(pipe, Event(
                type="package.handed_back", actor=reader.user_id, package_id=package_id,
                data={"package_id": package_id, "provider_id": reader.provider_id, "reason": reason, "new_package_id": successor.id},
            ))
            self.queue_post(pipe, successor, wave, reader.user_id, fits)
            return successor

        result = await transact(self.redis, [keys.package(package_id)], write)
        await self.schedule(successor)
        return result


def _needs_of(package: Package) -> dict[str, Any]:
    fields = ("postcode", "urgency", "service_type", "client_group", "hours_per_week", "start_date",
              "visits", "specialisms", "summary", "shareable_summary", "reference", "excluded_providers", "excluded_reason")
    return {name: getattr(package, name) for name in fields}


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
