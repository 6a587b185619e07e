"""Posting packages: a package built from a broker's needs, matched to the eligible
providers of its first wave and announced, in one transaction with its events."""

from __future__ import annotations

import json
import math
import time
from typing import Any

from redis.asyncio.client import Pipeline

import geo
from config import keys
from core import Event, iso, new_id, parse_iso
from matcher import eligibility, views
from matcher.errors import Invalid
from matcher.inputs import PackageInput
from matcher.model import TIERS, Match, Package
from matcher.package_reading import PackageReading
from matcher.tx import transact


class PackagePosting(PackageReading):
    """Posting, matching and announcing: also used by waves, bulk imports, re-posts and hand-backs."""

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
                data=views.matched_data(candidate.provider.id, views.provider_view(package, match, (fits or {}).get(candidate.provider.id))),
            ))
