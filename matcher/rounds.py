"""Round fit: how near a package is to the rounds a provider already runs.

A round is a current client (a package awarded to the provider and not handed back or
ended) visited in a band on some days, or an availability slot the provider declared
(its districts' centres, its days and bands). For a package, the nearest round sharing one
of its (day, band) pairs is named with its distance from the package's *sector* centroid:
the provider may not learn the package's postcode before award, so the fit is measured
from the sector, never finer.

`RoundIndex` is built once per provider (stops by band, days as a bit mask), so one fit is
a few multiplications per stop in the package's bands: a board of 300 packages stays in
milliseconds. Across many providers, `round_atlas.RoundAtlas` stacks their indexes once;
`round_book.RoundBook` reads and caches them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable

import numpy as np

import geo
from matcher.availability import Slot
from matcher.model import BANDS, DAYS, Package

DAY_BIT = {day: 1 << n for n, day in enumerate(DAYS)}
BAND_RANK = {band: n for n, band in enumerate(BANDS)}


def day_mask(days: Iterable[str]) -> int:
    return _mask(tuple(days))


@lru_cache(maxsize=4096)
def _mask(days: tuple[str, ...]) -> int:
    mask = 0
    for day in days:
        mask |= DAY_BIT.get(day, 0)
    return mask


def mask_days(mask: int) -> list[str]:
    return list(_days_of(mask))


@lru_cache(maxsize=1 << len(DAYS))
def _days_of(mask: int) -> tuple[str, ...]:
    return tuple(day for day in DAYS if mask & DAY_BIT[day])


SOURCES = ("client", "availability")
_POP = np.array([bin(i).count("1") for i in range(1 << len(DAYS))], dtype=np.int64)


@dataclass
class BandStops:
    """One band's stops as one 4 x k array (rows: easting, northing, days mask, source index
    in SOURCES), so many providers' stops stack with a single concatenate."""

    data: np.ndarray

    @property
    def e(self) -> np.ndarray:
        return self.data[0]

    @property
    def n(self) -> np.ndarray:
        return self.data[1]

    @property
    def days(self) -> np.ndarray:
        return self.data[2].astype(np.int64)

    @property
    def source(self) -> np.ndarray:
        return self.data[3].astype(np.int64)


@dataclass
class RoundIndex:
    """A provider's rounds by band, ready for vectorised nearest-stop queries."""

    bands: dict[str, BandStops] = field(default_factory=dict)

    @classmethod
    def build(cls, stops: Iterable[tuple[str, float, float, int, int]]) -> RoundIndex:
        """From (band, easting, northing, days mask, source) tuples."""
        grouped: dict[str, list[tuple[float, float, int, int]]] = {}
        for band, e, n, mask, source in stops:
            if mask and band in BAND_RANK:
                grouped.setdefault(band, []).append((e, n, mask, source))
        return cls({band: BandStops(np.array(rows, dtype=np.float64).T.copy()) for band, rows in grouped.items()})

    def __bool__(self) -> bool:
        return bool(self.bands)


def needs_of(package: Package) -> dict[str, int]:
    """The package's days per band, as bit masks, in band order."""
    needs: dict[str, int] = {}
    for visit in package.visits:
        band = visit.get("band")
        if band in BAND_RANK:
            needs[band] = needs.get(band, 0) | day_mask(visit.get("days") or ())
    return {band: needs[band] for band in BANDS if needs.get(band)}


def client_stops(clients: Iterable[Package]) -> list[tuple[str, float, float, int, int]]:
    return [(band, c.easting, c.northing, mask, 0) for c in clients for band, mask in needs_of(c).items()]


def slot_stops(slots: Iterable[Slot], postcodes: geo.PostcodeIndex) -> list[tuple[str, float, float, int, int]]:
    """An availability slot is a round at each of its districts' centres."""
    stops = []
    for slot in slots:
        mask = day_mask(slot.days)
        for district in slot.districts:
            try:
                e, n = postcodes.district_centroid(district)
            except KeyError:
                continue
            stops.extend((band, e, n, mask, 1) for band in slot.bands)
    return stops


def _result(km_m: float, band: str, shared: int, source: int, speed_kmh: float) -> dict[str, Any]:
    km = round(km_m / 1000.0, 1)
    return {"km": km, "drive_minutes": round(km / speed_kmh * 60), "band": band,
            "days": mask_days(shared), "source": SOURCES[source]}


def _nearest(stops: BandStops, x: float, y: float, need: int) -> tuple[float, int, int] | None:
    """(squared distance, shared days, row) of the nearest stop sharing a day, preferring
    more shared days on a tie; None if none shares one."""
    shared = stops.days & need
    d2 = (stops.e - x) ** 2 + (stops.n - y) ** 2
    d2 = np.where(shared != 0, d2, np.inf)
    order = np.lexsort((-_POP[shared], d2))
    row = int(order[0])
    if not np.isfinite(d2[row]):
        return None
    return float(d2[row]), int(shared[row]), row


def fit(index: RoundIndex, centre: geo.Place, needs: dict[str, int], speed_kmh: float) -> dict[str, Any] | None:
    """The nearest stop sharing a (day, band) with the package, or None. Nearest first; on
    a tie the earlier band, then the stop sharing more days."""
    if not index.bands:
        return None
    x, y = centre.easting, centre.northing
    best: tuple[float, str, int, int] | None = None
    for band, need in needs.items():
        stops = index.bands.get(band)
        if stops is None:
            continue
        found = _nearest(stops, x, y, need)
        if found is not None and (best is None or found[0] < best[0]):
            best = (found[0], band, found[1], found[2])
    if best is None:
        return None
    _, band, shared, row = best
    stops = index.bands[band]
    return _result(geo.ground_distance_m(x, y, float(stops.e[row]), float(stops.n[row])), band, shared,
                   int(stops.source[row]), speed_kmh)


def fit_many(index: RoundIndex, wanted: list[tuple[geo.Place, dict[str, int]]],
             speed_kmh: float) -> list[dict[str, Any] | None]:
    """Many packages (centre, needs) against one provider's rounds at once (its board):
    per band, one packages x stops matrix."""
    out: list[dict[str, Any] | None] = [None] * len(wanted)
    if not index.bands or not wanted:
        return out
    cx = np.array([c.easting for c, _ in wanted])
    cy = np.array([c.northing for c, _ in wanted])
    count = len(wanted)
    best_d2 = np.full(count, np.inf)
    best_band = np.zeros(count, dtype=np.int64)
    best_shared = np.zeros(count, dtype=np.int64)
    best_col = np.zeros(count, dtype=np.int64)
    for rank, band in enumerate(BANDS):
        stops = index.bands.get(band)
        if stops is None:
            continue
        need = np.array([needs.get(band, 0) for _, needs in wanted], dtype=np.int64)
        rows = np.flatnonzero(need)
        if rows.size == 0:
            continue
        shared = need[rows, None] & stops.days[None, :]
        d2 = (cx[rows, None] - stops.e[None, :]) ** 2 + (cy[rows, None] - stops.n[None, :]) ** 2
        d2 = np.where(shared != 0, d2, np.inf)
        # Nearest, then more shared days: a thousandth of a square metre per shared day decides ties only.
        col = np.argmin(d2 - _POP[shared] * 1e-3, axis=1)
        pick = np.arange(rows.size)
        got = d2[pick, col]
        better = got < best_d2[rows]
        r = rows[better]
        best_d2[r], best_band[r], best_col[r], best_shared[r] = got[better], rank, col[better], shared[pick, col][better]
    for r in np.flatnonzero(np.isfinite(best_d2)).tolist():
        band = BANDS[int(best_band[r])]
        column = index.bands[band].data[:, int(best_col[r])]
        centre = wanted[r][0]
        metres = geo.ground_distance_m(centre.easting, centre.northing, float(column[0]), float(column[1]))
        out[r] = _result(metres, band, int(best_shared[r]), int(column[3]), speed_kmh)
    return out
