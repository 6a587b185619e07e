"""Posting availability brings the provider the live packages it now fits, at once.

Only packages the provider may see under the release rules are brought: its tier in the
package's area must already be released. A package whose wave has not reached the
provider's tier is not brought early (that would let availability jump the framework's
tier order); the provider is matched with the flag when that wave comes, because the wave
asks the same availability lookup.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from redis.asyncio.client import Pipeline

from config import keys
from core import Event, iso
from matcher import views
from matcher.availability import AvailabilityStore, Slot
from matcher.eligibility import Candidate
from matcher.inputs import AvailabilityInput
from matcher.model import Match, Package
from matcher.packages import PackageStore
from matcher.state import load_in
from matcher.tx import transact


@dataclass
class AvailabilityDesk:
    slots: AvailabilityStore
    packages: PackageStore

    async def post(self, given: AvailabilityInput, provider_id: str, actor: str) -> tuple[Slot, list[str]]:
        """Store the slot, then tell the provider of every live package it now fits;
        returns the slot and the ids of the packages it was told about."""
        slot = await self.slots.create(given, provider_id, actor)
        brought = []
        for package in await self._live_in(slot.districts):
            if provider_id not in await self.slots.fitting(package):
                continue
            candidate = next((c for c in await self.packages.match(package) if c.provider.id == provider_id), None)
            if candidate is None or candidate.tier not in package.released_tiers:
                continue
            if await self._bring(package.id, candidate, actor):
                brought.append(package.id)
        return slot, brought

    async def _live_in(self, districts: list[str]) -> list[Package]:
        # Live packages are exactly those with an open window.
        ids = await self.packages.redis.zrange(keys.DEADLINES, 0, -1)
        found: list[Package] = []
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            for raw in await self.packages.redis.mget([keys.package(i) for i in chunk]):
                if raw is None:
                    continue
                package = Package.from_dict(json.loads(raw))
                if package.status == "live" and package.district in districts:
                    found.append(package)
        return found

    async def _bring(self, package_id: str, candidate: Candidate, actor: str) -> bool:
        provider_id = candidate.provider.id
        watched = [keys.package(package_id), keys.package_matches(package_id)]
        rounds = self.packages.rounds
        fit_of = None
        if rounds is not None:
            index = (await rounds.indexes([provider_id]))[provider_id]
            fit_of = lambda package: rounds.fit(index, package)  # noqa: E731 - read before the transaction

        async def write(pipe: Pipeline) -> bool:
            package = await load_in(pipe, package_id)
            if package.status != "live" or candidate.tier not in package.released_tiers:
                return False
            raw = await pipe.hget(keys.package_matches(package_id), provider_id)
            earlier = Match.from_dict(json.loads(raw)) if raw else None
            if earlier is not None and earlier.matched_availability:
                return False  # already told, with the flag: a second message is noise
            now = time.time()
            # An existing match keeps its wave and tier; only the flag changes.
            match = Match(
                provider_id=provider_id, wave=earlier.wave if earlier else package.wave,
                tier=earlier.tier if earlier else candidate.tier, at=iso(now),
                matched_availability=True, distance_km=candidate.distance_km,
            )
            pipe.multi()
            if earlier is None:
                package.matched += 1
                pipe.set(keys.package(package_id), json.dumps(package.to_dict()))
                pipe.zadd(keys.provider_packages(provider_id), {package_id: now})
            pipe.hset(keys.package_matches(package_id), provider_id, json.dumps(match.to_dict()))
            self.packages.events.queue(pipe, Event(
                type="package.matched", actor=actor, package_id=package_id, audience=[provider_id],
                data=views.matched_data(provider_id, views.provider_view(package, match, fit_of(package) if fit_of else None), reason="availability"),
            ))
            return True

        return await transact(self.packages.redis, watched, write)


def ordered_matches(matches: dict[str, Match], told: list[str]) -> list[dict[str, Any]]:
    """Matched providers as brokers see them listed: availability first, then by wave, then
    in the order they were told (`told`: provider ids in package.matched order)."""
    first = {pid: n for n, pid in reversed(list(enumerate(told)))}
    items = sorted(matches.values(), key=lambda m: (
        not m.matched_availability, m.wave, first.get(m.provider_id, len(told)), m.provider_id))
    return [m.to_dict() for m in items]
