"""Reading providers' rounds (their current clients and availability slots) from Redis,
caching each provider's index by its rounds version, and fitting packages to them."""

from __future__ import annotations

import json
import time
from typing import Any

from redis.asyncio import Redis

import geo
from config import keys
from core import parse_iso
from matcher.availability import AvailabilityStore
from matcher.model import Package
from matcher.round_atlas import RoundAtlas
from matcher.rounds import RoundIndex, client_stops, fit, fit_many, needs_of, slot_stops

# A cached index is trusted this long even at an unchanged version: a variation may change
# an awarded client's visits, or a package end, without bumping it.
CACHE_S = 300.0
CACHE_MAX = 20_000


class RoundBook:
    """Reads providers' rounds from their awards and availability, and fits packages to them."""

    def __init__(self, redis: Redis, postcodes: geo.PostcodeIndex, slots: AvailabilityStore, speed_kmh: float) -> None:
        self.redis = redis
        self.postcodes = postcodes
        self.slots = slots
        self.speed_kmh = speed_kmh
        self._cache: dict[str, tuple[str | None, float, RoundIndex]] = {}  # version, good until, index
        self._atlas: RoundAtlas | None = None

    def centre(self, package: Package) -> geo.Place | None:
        try:
            return self.postcodes.sector_centroid(package.sector)
        except KeyError:
            return None

    async def indexes(self, provider_ids: list[str]) -> dict[str, RoundIndex]:
        """Each provider's rounds. One MGET reads every provider's rounds version (bumped on
        award, hand-back and availability changes); an index built at the same version is
        reused until a slot in it expires or CACHE_S passes, so only providers whose rounds
        changed are read and rebuilt."""
        if not provider_ids:
            return {}
        now = time.time()
        versions = await self.redis.mget([keys.provider_rounds_version(pid) for pid in provider_ids])
        out: dict[str, RoundIndex] = {}
        stale: dict[str, str | None] = {}
        for pid, version in zip(provider_ids, versions, strict=True):
            cached = self._cache.get(pid)
            if cached is not None and cached[0] == version and now < cached[1]:
                out[pid] = cached[2]
            else:
                stale[pid] = version
        if stale:
            pids = list(stale)
            clients = await self.current_clients(pids)
            slots = await self.slots.current_of(pids)
            if len(self._cache) + len(pids) > CACHE_MAX:
                self._cache.clear()  # bounded: a cold start rebuilds what it needs
            for pid in pids:
                mine = slots.get(pid, [])
                index = RoundIndex.build([*client_stops(clients[pid]), *slot_stops(mine, self.postcodes)])
                until = min([now + CACHE_S, *(parse_iso(s.valid_until) for s in mine)])
                self._cache[pid] = (stale[pid], until, index)
                out[pid] = index
        return out

    async def current_clients(self, provider_ids: list[str]) -> dict[str, list[Package]]:
        async with self.redis.pipeline(transaction=False) as pipe:
            for pid in provider_ids:
                pipe.zrange(keys.provider_awards(pid), 0, -1)
            awards = await pipe.execute()
        return await self._clients({pid: tuple(ids) for pid, ids in zip(provider_ids, awards, strict=True)})

    async def _clients(self, awards: dict[str, tuple[str, ...]]) -> dict[str, list[Package]]:
        """Each provider's current clients: awarded to it and still running."""
        wanted = sorted({i for ids in awards.values() for i in ids})
        packages: dict[str, Package] = {}
        # Every chunk in one round trip (a cold start reads tens of thousands), and only
        # awarded ones made into Packages: the rest can be no one's current client.
        async with self.redis.pipeline(transaction=False) as pipe:
            for start in range(0, len(wanted), 500):
                pipe.mget([keys.package(i) for i in wanted[start:start + 500]])
            chunks = await pipe.execute()
        for chunk in chunks:
            for raw in chunk:
                if raw is not None:
                    data = json.loads(raw)
                    if data.get("status") == "awarded":
                        package = Package.from_dict(data)
                        packages[package.id] = package
        return {pid: [packages[i] for i in ids if i in packages and _current(packages[i], pid)] for pid, ids in awards.items()}

    def fit(self, index: RoundIndex | None, package: Package) -> dict[str, Any] | None:
        if index is None or package.status not in ("live", "awaiting_award"):
            return None
        centre = self.centre(package)
        if centre is None:
            return None
        return fit(index, centre, needs_of(package), self.speed_kmh)

    async def fits(self, package: Package, provider_ids: list[str]) -> dict[str, dict[str, Any] | None]:
        """One package against each provider's rounds (posting, a wave, a provider's view)."""
        centre = self.centre(package)
        if centre is None or package.status not in ("live", "awaiting_award"):
            return dict.fromkeys(provider_ids)
        return self.atlas(await self.indexes(provider_ids)).fit(provider_ids, centre, needs_of(package), self.speed_kmh)

    def atlas(self, indexes: dict[str, RoundIndex]) -> RoundAtlas:
        """The last atlas while it holds these indexes (the same providers with unchanged
        rounds, as for packages posted one after another in one place), else a new one of
        just these: never more stacking than fitting them at all needs."""
        if self._atlas is None or not self._atlas.covers(indexes):
            self._atlas = RoundAtlas(indexes)
        return self._atlas

    async def board(self, provider_id: str, packages: list[Package]) -> dict[str, dict[str, Any] | None]:
        """Many packages against one provider's rounds (its board)."""
        index = (await self.indexes([provider_id]))[provider_id]
        return self.fit_board(index, packages)

    def fit_board(self, index: RoundIndex, packages: list[Package]) -> dict[str, dict[str, Any] | None]:
        out: dict[str, dict[str, Any] | None] = dict.fromkeys(p.id for p in packages)
        wanted, ids = [], []
        for package in packages:
            centre = self.centre(package) if package.status in ("live", "awaiting_award") else None
            if centre is not None:
                wanted.append((centre, needs_of(package)))
                ids.append(package.id)
        for package_id, found in zip(ids, fit_many(index, wanted, self.speed_kmh), strict=True):
            out[package_id] = found
        return out


def _current(package: Package, provider_id: str) -> bool:
    """Awarded to this provider and neither handed back nor ended."""
    return package.status == "awarded" and package.awarded_provider_id == provider_id
