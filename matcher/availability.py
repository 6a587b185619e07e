"""Providers' declared availability ("a morning run free in SG1/SG2, Mon-Fri, until the
30th") and the question the matcher asks of it: whose availability fits this package?

A slot is one JSON key that expires at its `valid_until`; three zsets index it (all slots,
per provider, per district) scored by `valid_until`, so an expired slot stops counting the
moment it expires, whether or not anything has cleaned it up yet.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Iterable

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

import geo
from config import keys
from core import Event, EventLog, iso, new_id, parse_moment
from matcher.areas import normalise_districts
from matcher.errors import Conflict, Invalid, NotFound
from matcher.inputs import AvailabilityInput
from matcher.model import Package, Record
from matcher.tx import transact

MAX_AHEAD_S = 366 * 86400  # a declaration a year out is a guess, not availability
MAX_SLOTS_PER_PROVIDER = 100  # current ones; a provider's real runs are a handful


@dataclass
class Slot(Record):
    id: str
    provider_id: str
    districts: list[str]
    days: list[str]
    bands: list[str]
    carers: int
    valid_until: str
    created_at: str
    created_by: str


def covers(slots: Iterable[Slot], package: Package) -> bool:
    """True if, together, the slots cover every (day, band) of every visit in the package's
    district with enough carers. Slots combine: a morning run and a tea run posted
    separately cover a morning-and-tea package. A visit needing two carers needs a slot
    declaring two; a two-carer slot also fits a one-carer visit. A package without visits
    (live-in) has no run to fit, so availability never flags it."""
    usable = [s for s in slots if package.district in s.districts]
    visits = package.visit_list()
    if not visits or not usable:
        return False
    return all(
        any(day in s.days and visit.band in s.bands and visit.carers <= s.carers for s in usable)
        for visit in visits for day in visit.days
    )


class AvailabilityStore:
    def __init__(self, redis: Redis, postcodes: geo.PostcodeIndex, events: EventLog) -> None:
        self.redis = redis
        self.postcodes = postcodes
        self.events = events

    async def create(self, given: AvailabilityInput, provider_id: str, actor: str) -> Slot:
        districts = normalise_districts("districts", given.districts, self.postcodes)
        until = _valid_until(given.valid_until)
        slot = Slot(
            id=new_id("avl"), provider_id=provider_id, districts=districts, days=list(given.days), bands=list(given.bands),
            carers=given.carers, valid_until=iso(until), created_at=iso(time.time()), created_by=actor,
        )

        async def write(pipe: Pipeline) -> Slot:
            # Every package posted reads each current slot in its district (`fitting`): one
            # provider's script must not be able to slow every posting in its area.
            if await pipe.zcount(keys.provider_availability(provider_id), time.time(), "+inf") >= MAX_SLOTS_PER_PROVIDER:
                raise Conflict(f"Your organisation has {MAX_SLOTS_PER_PROVIDER} current availability declarations; "
                               "delete ones that no longer hold before adding more.", code="too_many_slots")
            pipe.multi()
            pipe.set(keys.availability(slot.id), json.dumps(slot.to_dict()))
            pipe.expireat(keys.availability(slot.id), int(until) + 1)
            for index in self._indexes(slot):
                pipe.zadd(index, {slot.id: until})
            pipe.incr(keys.provider_rounds_version(provider_id))
            # Brokers only (no audience): providers never learn each other's capacity.
            self.events.queue(pipe, Event(type="availability.posted", actor=actor, data={
                "provider_id": provider_id, "availability": slot.to_dict(),
            }))
            return slot

        return await transact(self.redis, [keys.availability(slot.id), keys.provider_availability(provider_id)], write)

    def _indexes(self, slot: Slot) -> list[str]:
        return [keys.AVAILABILITY, keys.provider_availability(slot.provider_id),
                *(keys.district_availability(d) for d in slot.districts)]

    async def delete(self, slot_id: str, provider_id: str | None, actor: str) -> None:
        async def write(pipe: Pipeline) -> None:
            raw = await pipe.get(keys.availability(slot_id))
            slot = Slot.from_dict(json.loads(raw)) if raw else None
            # Someone else's slot is answered like a missing one: no probing for ids.
            if slot is None or slot.provider_id != provider_id:
                raise NotFound("No such availability.")
            pipe.multi()
            pipe.delete(keys.availability(slot_id))
            for index in self._indexes(slot):
                pipe.zrem(index, slot_id)
            pipe.incr(keys.provider_rounds_version(slot.provider_id))
            self.events.queue(pipe, Event(type="availability.deleted", actor=actor, data={
                "provider_id": slot.provider_id, "availability_id": slot_id,
            }))

        await transact(self.redis, [keys.availability(slot_id)], write)

    async def list(self, *, provider_id: str | None, district: str | None) -> list[Slot]:
        """Current slots, soonest to expire first; `provider_id` None means every provider's."""
        if district is not None:
            slots = await self._current(keys.district_availability(district))
            return [s for s in slots if provider_id is None or s.provider_id == provider_id]
        index = keys.AVAILABILITY if provider_id is None else keys.provider_availability(provider_id)
        return await self._current(index)

    async def current_of(self, provider_ids: list[str]) -> dict[str, list[Slot]]:
        """Each provider's current slots, in two round trips however many providers."""
        now = time.time()
        async with self.redis.pipeline(transaction=False) as pipe:
            for pid in provider_ids:
                pipe.zrangebyscore(keys.provider_availability(pid), now, "+inf")
            id_lists = await pipe.execute()
        wanted = sorted({i for ids in id_lists for i in ids})
        slots: dict[str, Slot] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            for raw in await self.redis.mget([keys.availability(i) for i in chunk]):
                if raw:
                    slot = Slot.from_dict(json.loads(raw))
                    slots[slot.id] = slot
        return {pid: [slots[i] for i in ids if i in slots] for pid, ids in zip(provider_ids, id_lists, strict=True)}

    async def fitting(self, package: Package) -> frozenset[str]:
        """Providers whose current availability covers the package (the matcher's lookup)."""
        by_provider: dict[str, list[Slot]] = {}
        for slot in await self._current(keys.district_availability(package.district)):
            by_provider.setdefault(slot.provider_id, []).append(slot)
        return frozenset(pid for pid, slots in by_provider.items() if covers(slots, package))

    async def _current(self, index: str) -> list[Slot]:
        now = time.time()
        # Expired entries are dropped as they are met; their keys have already expired.
        await self.redis.zremrangebyscore(index, "-inf", now)
        ids = await self.redis.zrangebyscore(index, now, "+inf")
        slots: list[Slot] = []
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            raws = await self.redis.mget([keys.availability(i) for i in chunk])
            slots.extend(Slot.from_dict(json.loads(r)) for r in raws if r)
        return slots


def parse_district(raw: str | None, postcodes: geo.PostcodeIndex) -> str | None:
    """The `?district=` filter, normalised like posted districts (422 if not a district)."""
    if not raw:
        return None
    return normalise_districts("district", [raw], postcodes)[0]


def _valid_until(raw: str) -> float:
    try:
        until = parse_moment(raw, day_end=True)
    except ValueError as exc:
        raise Invalid({"valid_until": str(exc)}) from None
    now = time.time()
    if until <= now:
        raise Invalid({"valid_until": "must be in the future"})
    if until > now + MAX_AHEAD_S:
        raise Invalid({"valid_until": "must be within a year"})
    return until
