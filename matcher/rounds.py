"""Round fit: how near a package is to the rounds a provider already runs.

A round is a current client (a package awarded to the provider and not handed back or
ended) visited in a band on some days, or an availability slot the provider declared
(its districts' centres, its days and bands). For a package, the nearest round sharing one
of its (day, band) pairs is named with its distance from the package's *sector* centroid:
the provider may not learn the package's postcode before award, so the fit is measured
from the sector, never finer.

`RoundIndex` is built once per provider (stops by band, days as a bit mask), so one fit is
a few multiplications per stop in the package's bands: a board of 300 packages or a package
across 2,000 matched providers stays in milliseconds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterable

from redis.asyncio import Redis

import geo
from config import keys
from matcher.availability import AvailabilityStore, Slot
from matcher.model import BANDS, DAYS, Package

DAY_BIT = {day: 1 << n for n, day in enumerate(DAYS)}
BAND_RANK = {band: n for n, band in enumerate(BANDS)}


def day_mask(days: Iterable[str]) -> int:
    mask = 0
    for day in days:
        mask |= DAY_BIT.get(day, 0)
    return mask


def mask_days(mask: int) -> list[str]:
    return [day for day in DAYS if mask & DAY_BIT[day]]


@dataclass(frozen=True, slots=True)
class Stop:
    """One place on a round: where, and on which days (bit mask) in its band."""

    e: float
    n: float
    days: int
    source: str  # "client" or "availability"


@dataclass
class RoundIndex:
    """A provider's rounds by band."""

    by_band: dict[str, list[Stop]] = field(default_factory=dict)

    def add(self, band: str, stop: Stop) -> None:
        self.by_band.setdefault(band, []).append(stop)

    def __bool__(self) -> bool:
        return bool(self.by_band)


def needs_of(package: Package) -> dict[str, int]:
    """The package's days per band, as bit masks."""
    needs: dict[str, int] = {}
    for visit in package.visits:
        band = visit.get("band")
        if band in BAND_RANK:
            needs[band] = needs.get(band, 0) | day_mask(visit.get("days") or ())
    return needs


def clients_index(index: RoundIndex, clients: Iterable[Package]) -> RoundIndex:
    for client in clients:
        for band, mask in needs_of(client).items():
            if mask:
                index.add(band, Stop(client.easting, client.northing, mask, "client"))
    return index


def slots_index(index: RoundIndex, slots: Iterable[Slot], postcodes: geo.PostcodeIndex) -> RoundIndex:
    for slot in slots:
        mask = day_mask(slot.days)
        if not mask:
            continue
        for district in slot.districts:
            try:
                e, n = postcodes.district_centroid(district)
            except KeyError:
                continue
            for band in slot.bands:
                index.add(band, Stop(e, n, mask, "availability"))
    return index


def fit(index: RoundIndex, centre: geo.Place, needs: dict[str, int], speed_kmh: float) -> dict[str, Any] | None:
    """The nearest stop that shares a (day, band) with the package, or None."""
    if not index.by_band:
        return None
    x, y = centre.easting, centre.northing
    best: tuple[float, int, int, str, Stop] | None = None
    for band, mask in needs.items():
        stops = index.by_band.get(band)
        if not stops:
            continue
        rank = BAND_RANK[band]
        for stop in stops:
            shared = stop.days & mask
            if not shared:
                continue
            d2 = (stop.e - x) ** 2 + (stop.n - y) ** 2
            # Nearest first; on a tie, the earlier band, then the stop sharing more days.
            key = (d2, rank, -shared.bit_count())
            if best is None or key < best[:3]:
                best = (d2, rank, -shared.bit_count(), band, stop)
    if best is None:
        return None
    _, _, _, band, stop = best
    km = round(geo.ground_distance_m(x, y, stop.e, stop.n) / 1000.0, 1)
    return {
        "km": km,
        "drive_minutes": round(km / speed_kmh * 60),
        "band": band,
        "days": mask_days(stop.days & needs[band]),
        "source": stop.source,
    }


class RoundBook:
    """Reads providers' rounds from their awards and availability, and fits packages to them."""

    def __init__(self, redis: Redis, postcodes: geo.PostcodeIndex, slots: AvailabilityStore, speed_kmh: float) -> None:
        self.redis = redis
        self.postcodes = postcodes
        self.slots = slots
        self.speed_kmh = speed_kmh

    def centre(self, package: Package) -> geo.Place | None:
        try:
            return self.postcodes.sector_centroid(package.sector)
        except KeyError:
            return None

    async def clients(self, provider_ids: list[str]) -> dict[str, list[Package]]:
        """Each provider's current clients: awarded to it and still running."""
        if not provider_ids:
            return {}
        async with self.redis.pipeline(transaction=False) as pipe:
            for pid in provider_ids:
                pipe.zrange(keys.provider_awards(pid), 0, -1)
            awards = await pipe.execute()
        wanted = sorted({i for ids in awards for i in ids})
        packages: dict[str, Package] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            for raw in await self.redis.mget([keys.package(i) for i in chunk]):
                if raw is not None:
                    package = Package.from_dict(json.loads(raw))
                    packages[package.id] = package
        return {
            pid: [packages[i] for i in ids if i in packages and _current(packages[i], pid)]
            for pid, ids in zip(provider_ids, awards, strict=True)
        }

    async def indexes(self, provider_ids: list[str]) -> dict[str, RoundIndex]:
        clients = await self.clients(provider_ids)
        slots = await self.slots.current_of(provider_ids)
        return {
            pid: slots_index(clients_index(RoundIndex(), clients.get(pid, ())), slots.get(pid, ()), self.postcodes)
            for pid in provider_ids
        }

    def fit(self, index: RoundIndex | None, package: Package) -> dict[str, Any] | None:
        if index is None or package.status not in ("live", "awaiting_award"):
            return None
        centre = self.centre(package)
        if centre is None:
            return None
        return fit(index, centre, needs_of(package), self.speed_kmh)

    async def fits(self, package: Package, provider_ids: list[str]) -> dict[str, dict[str, Any] | None]:
        """One package against each provider's rounds (posting, a wave, a provider's view)."""
        indexes = await self.indexes(provider_ids)
        return {pid: self.fit(indexes[pid], package) for pid in provider_ids}

    async def board(self, provider_id: str, packages: list[Package]) -> dict[str, dict[str, Any] | None]:
        """Many packages against one provider's rounds (its board)."""
        index = (await self.indexes([provider_id]))[provider_id]
        return {p.id: self.fit(index, p) for p in packages}


def _current(package: Package, provider_id: str) -> bool:
    """Awarded to this provider and neither handed back nor ended."""
    return package.status == "awarded" and package.awarded_provider_id == provider_id
