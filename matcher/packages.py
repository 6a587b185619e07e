"""Packages: the store every other part uses (`PackageStore`), built in layers, one concept
each: reading (matcher/package_reading.py), posting with matching
(matcher/package_posting.py), and here what ends or renews a package: withdrawal,
hand-back and re-posting a closed one.

A package's state lives in one JSON key; every change is made under WATCH together with
the events that record it, so state and audit trail can never disagree.
"""

from __future__ import annotations

import time
from typing import Any

from redis.asyncio.client import Pipeline

from config import keys
from core import Event, iso
from matcher import state
from matcher.errors import Conflict, Forbidden
from matcher.inputs import PackageInput
from matcher.model import OPEN_STATUSES, Package
from matcher.package_posting import PackagePosting
from matcher.package_reading import AvailabilityLookup, Reader, Scheduler
from matcher.tx import transact

__all__ = ["AvailabilityLookup", "PackageStore", "Reader", "Scheduler"]


class PackageStore(PackagePosting):
    """Packages: read (PackageReading), posted (PackagePosting), and ended or renewed here."""

    # -- re-posting and closing ----------------------------------------------------------------

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
