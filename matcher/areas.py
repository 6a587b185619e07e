"""Areas: named sets of postcode districts; a package belongs to the area holding its district."""

from __future__ import annotations

import json
import time

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

import geo
from config import keys
from core import AuditNote, iso, new_id
from matcher.errors import Conflict, Invalid, NotFound
from matcher.model import Area
from matcher.tx import transact
from matcher.inputs import AreaInput, AreaPatch


class AreaStore:
    def __init__(self, redis: Redis, postcodes: geo.PostcodeIndex) -> None:
        self.redis = redis
        self.postcodes = postcodes

    async def create(self, given: AreaInput, *, note: AuditNote | None) -> Area:
        """A new area; `note` (who and why) audits it in the same transaction (None: seeding,
        not an administrative change)."""
        name = given.name
        districts = normalise_districts("districts", given.districts, self.postcodes)
        area = Area(id=new_id("area"), name=name, districts=districts, created_at=iso(time.time()))
        watched = [keys.area_by_name(name), keys.DISTRICT_AREA]

        async def write(pipe: Pipeline) -> Area:
            if await pipe.exists(keys.area_by_name(name)):
                raise Conflict(f"An area called {name!r} already exists.", code="area_exists")
            owners = await pipe.hmget(keys.DISTRICT_AREA, districts)
            taken = [d for d, owner in zip(districts, owners) if owner]
            if taken:
                raise Invalid({"districts": f"{taken[0]} already belongs to another area"})
            pipe.multi()
            pipe.set(keys.area(area.id), json.dumps(area.to_dict()))
            pipe.set(keys.area_by_name(name), area.id)
            pipe.hset(keys.DISTRICT_AREA, mapping={d: area.id for d in districts})
            pipe.zadd(keys.AREAS, {area.id: time.time()})
            if note is not None:
                note.queue(pipe, "area.created", "area", area.id, area.name, None, area.to_dict())
            return area

        return await transact(self.redis, watched, write)

    async def update(self, area_id: str, patch: AreaPatch, *, note: AuditNote) -> tuple[Area, Area]:
        """New districts for an area (its name stays: providers' tiers are keyed by it),
        audited in the same transaction; returns the area before and after."""
        districts = normalise_districts("districts", patch.districts, self.postcodes)

        async def write(pipe: Pipeline) -> tuple[Area, Area]:
            raw = await pipe.get(keys.area(area_id))
            if raw is None:
                raise NotFound("No such area.")
            before = Area.from_dict(json.loads(raw))
            owners = await pipe.hmget(keys.DISTRICT_AREA, districts)
            taken = [d for d, owner in zip(districts, owners) if owner and owner != area_id]
            if taken:
                raise Invalid({"districts": f"{taken[0]} already belongs to another area"})
            after = Area.from_dict({**before.to_dict(), "districts": districts})
            dropped = [d for d in before.districts if d not in districts]
            pipe.multi()
            pipe.set(keys.area(area_id), json.dumps(after.to_dict()))
            if dropped:
                pipe.hdel(keys.DISTRICT_AREA, *dropped)
            pipe.hset(keys.DISTRICT_AREA, mapping={d: area_id for d in districts})
            note.queue(pipe, "area.updated", "area", after.id, after.name, before.to_dict(), after.to_dict())
            return before, after

        return await transact(self.redis, [keys.area(area_id), keys.DISTRICT_AREA], write)

    async def get(self, area_id: str) -> Area:
        raw = await self.redis.get(keys.area(area_id))
        if raw is None:
            raise NotFound("No such area.")
        return Area.from_dict(json.loads(raw))

    async def list(self) -> list[Area]:
        ids = await self.redis.zrange(keys.AREAS, 0, -1)
        raws = await self.redis.mget([keys.area(i) for i in ids]) if ids else []
        return [Area.from_dict(json.loads(r)) for r in raws if r]

    async def names(self) -> set[str]:
        return {a.name for a in await self.list()}

    async def for_district(self, district: str) -> Area | None:
        area_id = await self.redis.hget(keys.DISTRICT_AREA, district)
        return await self.get(area_id) if area_id else None


def normalise_districts(name: str, raw: list[str], postcodes: geo.PostcodeIndex) -> list[str]:
    """Real postcode districts, normalised ("sg1" -> "SG1"), first-seen order; Invalid names `name`."""
    codes: list[str] = []
    for text in raw:
        try:
            code = geo.outward_code(text)
        except geo.MalformedPostcode:
            raise Invalid({name: f"{text!r} is not a postcode district like \"SG1\""}) from None
        if not postcodes.has_district(code):
            raise Invalid({name: f"{code} is not a known postcode district"})
        if code not in codes:
            codes.append(code)
    return codes
