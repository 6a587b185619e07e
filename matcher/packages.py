"""Packages: posting with matching, reading by role, withdrawal and hand-back.

A package's state lives in one JSON key; every change is made under WATCH together with
the events that record it, so state and audit trail can never disagree.
"""

from __future__ import annotations

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
from matcher import eligibility, state, views
from matcher.areas import AreaStore
from matcher.errors import Conflict, Forbidden, NotFound
from matcher.model import (
    BANDS,
    CLIENT_GROUPS,
    DAYS,
    OPEN_STATUSES,
    SERVICE_TYPES,
    SPECIALISMS,
    TIERS,
    URGENCIES,
    Match,
    Package,
)
from matcher.providers import ProviderStore
from matcher.tx import transact
from matcher.validate import FieldErrors, check_choices, check_number

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
        availability: AvailabilityLookup = _no_availability,
    ) -> None:
        self.redis = redis
        self.settings = settings
        self.postcodes = postcodes
        self.areas = areas
        self.providers = providers
        self.events = events
        self.schedule = schedule
        self.availability = availability

    # -- posting -----------------------------------------------------------------------------

    async def post(self, body: Any, actor: str) -> Package:
        package = await self._new_package(body, actor)
        wave = await self._first_wave(package)

        async def write(pipe: Pipeline) -> None:
            pipe.multi()
            self._queue_post(pipe, package, wave, actor)

        await transact(self.redis, [keys.package(package.id)], write)
        await self.schedule(package)
        return package

    async def _new_package(self, body: Any, actor: str, previous: Package | None = None) -> Package:
        check = FieldErrors(body)
        place = self._place(check)
        values = {
            "urgency": check.choice("urgency", URGENCIES),
            "service_type": check.choice("service_type", SERVICE_TYPES),
            "client_group": check.choice("client_group", CLIENT_GROUPS),
            "hours_per_week": check.number("hours_per_week", low=0, high=168, low_open=True),
            "start_date": check.day("start_date"),
            "visits": _visits(check),
            "specialisms": check.choices("specialisms", SPECIALISMS, required=False),
            "summary": check.text("summary", required=False),
            "shareable_summary": check.text("shareable_summary", required=False),
            "reference": check.text("reference", required=False, max_len=100),
            "excluded_reason": check.text("excluded_reason", required=False, max_len=500),
        }
        values["excluded_providers"] = await self._excluded(check)
        check.raise_if_any()
        assert place is not None
        area = await self.areas.for_district(place.district)
        now = time.time()
        return Package(
            id=new_id("pkg"), status="live", postcode=place.postcode, district=place.district,
            sector=place.sector, easting=place.easting, northing=place.northing,
            area=area.name if area else None, posted_at=iso(now), posted_by=actor,
            # Rounded up: ISO times drop the fraction, and a window must never be shorter than configured.
            deadline=iso(math.ceil(now + self.settings.window_s(values["urgency"]))),
            previous_hand_backs=list(previous.previous_hand_backs) if previous else [],
            previous_package_id=previous.id if previous else None,
            **values,
        )

    def _place(self, check: FieldErrors) -> geo.Place | None:
        raw = check.required("postcode")
        if raw is None:
            return None
        if not isinstance(raw, str):
            check.add("postcode", "must be a string like \"SG1 1AA\"")
            return None
        try:
            return self.postcodes.lookup(raw)
        except geo.MalformedPostcode:
            check.add("postcode", "is not a valid UK postcode (expected something like \"SG1 1AA\")")
        except geo.UnknownPostcode:
            check.add("postcode", "is well-formed but unknown: no such postcode exists")
        return None

    async def _excluded(self, check: FieldErrors) -> list[str]:
        raw = check.body.get("excluded_providers")
        if raw is None:
            return []
        if not isinstance(raw, list) or not all(isinstance(i, str) for i in raw):
            check.add("excluded_providers", "must be a list of provider ids")
            return []
        snapshot = await self.providers.snapshot()
        unknown = [i for i in raw if i not in snapshot.providers]
        if unknown:
            check.add("excluded_providers", f"{unknown[0]!r} is not a known provider")
            return []
        return list(dict.fromkeys(raw))

    async def match(self, package: Package, exclude: frozenset[str] = frozenset()) -> list[eligibility.Candidate]:
        # Every wave, availability match and successor obeys the package's own exclusions.
        exclude = exclude | frozenset(package.excluded_providers)
        snapshot = await self.providers.snapshot()
        needs = eligibility.Needs(package.service_type, package.client_group, tuple(package.specialisms))
        place = geo.Place(package.postcode, package.district, package.sector, package.easting, package.northing, 0.0, 0.0)
        return eligibility.candidates(snapshot, needs, place, package.area, await self.availability(package), exclude)

    async def _first_wave(self, package: Package, exclude: frozenset[str] = frozenset()) -> list[eligibility.Candidate]:
        found = await self.match(package, exclude)
        if self.settings.release == "all":
            package.released_tiers = list(TIERS)
            return found
        tiers = eligibility.by_tier(found)
        # An empty tier is skipped: waiting a whole window with nobody told helps no one.
        first = next((t for t in TIERS if tiers[t]), TIERS[0])
        package.released_tiers = list(TIERS[: TIERS.index(first) + 1])
        return tiers[first]

    def _queue_post(self, pipe: Pipeline, package: Package, wave: list[eligibility.Candidate], actor: str) -> None:
        package.matched = len(wave)
        pipe.set(keys.package(package.id), json.dumps(package.to_dict()))
        pipe.zadd(keys.PACKAGES, {package.id: parse_iso(package.posted_at)})
        pipe.zadd(keys.DEADLINES, {package.id: parse_iso(package.deadline)})
        self.events.queue(pipe, Event(
            type="package.posted", actor=actor, package_id=package.id,
            data={"package": views.broker_view(package), "matched": package.matched,
                  "provider_ids": [c.provider.id for c in wave]},
        ))
        self.queue_wave(pipe, package, wave, actor)

    def queue_wave(self, pipe: Pipeline, package: Package, wave: list[eligibility.Candidate], actor: str) -> None:
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
                data={"provider_id": candidate.provider.id, "package": views.provider_view(package, match)},
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

    # -- sight (stops the SMS fallback) --------------------------------------------------------

    async def mark_seen(self, package_id: str, provider_id: str) -> bool:
        """Record the first sight of a package by any user of a matched provider."""
        if not await self.redis.hexists(keys.package_matches(package_id), provider_id):
            return False
        return bool(await self.redis.hsetnx(keys.package_seen(package_id), provider_id, str(time.time())))

    async def seen_by(self, package_id: str, provider_id: str) -> bool:
        return bool(await self.redis.hexists(keys.package_seen(package_id), provider_id))

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
        return views.provider_view(package, match)

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
        listed = []
        for package, raw in zip(packages, raws, strict=True):
            match = Match.from_dict(json.loads(raw)) if raw else None
            view = views.awarded_view if package.status == "awarded" else views.provider_view
            listed.append(view(package, match))
        return listed

    # -- closing -----------------------------------------------------------------------------

    async def withdraw(self, package_id: str, body: Any, actor: str) -> Package:
        check = FieldErrors(body)
        reason = check.text("reason", max_len=500)
        check.raise_if_any()

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

    async def hand_back(self, package_id: str, body: Any, reader: Reader) -> Package:
        check = FieldErrors(body)
        reason = check.text("reason", max_len=500)
        check.raise_if_any()
        package = await self._visible(package_id, reader)
        if package.awarded_provider_id != reader.provider_id:
            raise Forbidden("Only the provider the package was awarded to can hand it back.")
        now = time.time()
        previous = Package.from_dict({**package.to_dict(), "previous_hand_backs": [*package.previous_hand_backs, {"reason": reason, "at": iso(now)}]})
        successor = await self._new_package(_needs_of(package), reader.user_id, previous)
        # The provider that handed it back cannot deliver it; it is not asked again.
        wave = await self._first_wave(successor, exclude=frozenset({reader.provider_id or ""}))

        async def write(pipe: Pipeline) -> Package:
            current = await state.load_in(pipe, package_id)
            if current.status != "awarded":
                raise Conflict(f"The package is {current.status}; only an awarded package can be handed back.", code="package_not_awarded")
            current.new_package_id = successor.id
            pipe.multi()
            state.queue_close(pipe, current, "handed_back", "handed_back", iso(now))
            pipe.zrem(keys.provider_awards(reader.provider_id or ""), package_id)
            self.events.queue(pipe, Event(
                type="package.handed_back", actor=reader.user_id, package_id=package_id,
                data={"package_id": package_id, "provider_id": reader.provider_id, "reason": reason, "new_package_id": successor.id},
            ))
            self._queue_post(pipe, successor, wave, reader.user_id)
            return successor

        result = await transact(self.redis, [keys.package(package_id)], write)
        await self.schedule(successor)
        return result


def _visits(check: FieldErrors) -> list[dict[str, Any]] | None:
    raw = check.required("visits")
    if raw is None:
        return None
    if not isinstance(raw, list):
        check.add("visits", "must be a list of visits")
        return None
    if not raw and check.body.get("service_type") != "live_in":
        check.add("visits", "must list at least one visit")
        return None
    visits = []
    for n, item in enumerate(raw):
        name = f"visits[{n}]"
        if not isinstance(item, dict):
            check.add(name, "must be an object")
            return None
        days = check_choices(check, f"{name}.days", item.get("days"), DAYS, non_empty=True)
        band = item.get("band")
        if band not in BANDS:
            check.add(f"{name}.band", f"must be one of: {', '.join(BANDS)}")
        minutes = check_number(check, f"{name}.minutes", item.get("minutes"), low=15, high=1440)
        if minutes is not None and minutes != int(minutes):
            check.add(f"{name}.minutes", "must be a whole number of minutes")
        carers = item.get("carers", 1)
        if carers not in (1, 2) or isinstance(carers, bool):
            check.add(f"{name}.carers", "must be 1 or 2")
        critical = item.get("time_critical", False)
        if not isinstance(critical, bool):
            check.add(f"{name}.time_critical", "must be true or false")
        visits.append({"days": days, "band": band, "minutes": int(minutes or 0), "carers": carers, "time_critical": critical})
    return visits


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
