"""Many providers' rounds stacked once, so a package is fitted across all of them by a few
whole-array operations.

Fitting one package across its matched providers used to stack every provider's stops per
band on every call: thousands of small arrays gathered and concatenated, which cost more
than the arithmetic. An atlas does that stacking once per band (on the first fit that needs
the band) and keeps per band one array of every stop with its owner's slot, for as long as
those providers' rounds are unchanged (`RoundBook.atlas`). A fit then keeps the stops of the
wanted providers that share a day, and takes the nearest per provider: no Python loop over
providers until the answers are written.

The choice is the one `rounds.fit` makes: nearest first; on a tie the earlier band, then
the stop sharing more days (a thousandth of a square metre per shared day decides ties
only), then the earlier stop.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import geo
from matcher.model import BANDS
from matcher.rounds import _POP, BAND_RANK, SOURCES, RoundIndex, _days_of


class RoundAtlas:
    def __init__(self, indexes: dict[str, RoundIndex]) -> None:
        self.indexes = dict(indexes)  # what it was built from, to tell when it is stale
        self.pids = list(self.indexes)
        self.slot = {pid: n for n, pid in enumerate(self.pids)}
        # band -> (4 x k stops: easting, northing, days, source; k owners' slots; k days as
        # ints), in slot order; stacked on a band's first use, so a one-off fit stacks only
        # the bands its package needs.
        self.bands: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray] | None] = {}

    def band(self, band: str) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        if band not in self.bands:
            parts, owners = [], []
            for n, pid in enumerate(self.pids):
                stops = self.indexes[pid].bands.get(band)
                if stops is not None:
                    parts.append(stops.data)
                    owners.append(n)
            if parts:
                data = np.concatenate(parts, axis=1)
                owner = np.repeat(np.array(owners, dtype=np.int64), [a.shape[1] for a in parts])
                self.bands[band] = (data, owner, data[2].astype(np.int64))
            else:
                self.bands[band] = None
        return self.bands[band]

    def covers(self, indexes: dict[str, RoundIndex]) -> bool:
        """Built from exactly these index objects (indexes are never changed once built)."""
        return all(self.indexes.get(pid) is ix for pid, ix in indexes.items())

    def fit(self, provider_ids: list[str], centre: geo.Place, needs: dict[str, int],
            speed_kmh: float) -> dict[str, dict[str, Any] | None]:
        out: dict[str, dict[str, Any] | None] = dict.fromkeys(provider_ids)
        slots = [self.slot[pid] for pid in provider_ids if pid in self.slot]
        if not slots:
            return out
        member: np.ndarray | None = None  # every provider of the atlas is wanted
        if len(set(slots)) < len(self.pids):
            member = np.zeros(len(self.pids), dtype=bool)
            member[slots] = True
        x, y = centre.easting, centre.northing
        best_d2 = np.full(len(self.pids), np.inf)
        best = np.zeros((5, len(self.pids)))  # band rank, shared days, easting, northing, source
        for band in BANDS:  # band order: a later band replaces only a strictly nearer stop
            need = needs.get(band, 0)
            stacked = self.band(band) if need else None
            if stacked is None:
                continue
            data, owner_all, days = stacked
            shared_all = days & need
            keep = np.flatnonzero(shared_all if member is None else (shared_all != 0) & member[owner_all])
            if keep.size == 0:
                continue
            e, n, shared, owner = data[0, keep], data[1, keep], shared_all[keep], owner_all[keep]
            d2 = (e - x) ** 2 + (n - y) ** 2
            key = d2 - _POP[shared] * 1e-3
            # Each provider's stops are one run: the lowest key per run by reduceat, the
            # first stop reaching it by the first hit per run.
            starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
            lowest = np.minimum.reduceat(key, starts)
            hits = np.flatnonzero(key == np.repeat(lowest, np.diff(np.r_[starts, key.size])))
            first = hits[np.r_[True, owner[hits][1:] != owner[hits][:-1]]]
            better = first[d2[first] < best_d2[owner[first]]]
            who = owner[better]
            best_d2[who] = d2[better]
            best[:, who] = np.vstack([np.full(better.size, BAND_RANK[band]), shared[better], e[better], n[better],
                                      data[3, keep[better]]])
        found = np.flatnonzero(np.isfinite(best_d2))
        if found.size:
            metres = geo.ground_distances_m(best[2, found], best[3, found], x, y).tolist()
            ranks, shared_days, sources = (best[k, found].astype(np.int64).tolist() for k in (0, 1, 4))
            pids = self.pids
            for s, m, rank, sh, src in zip(found.tolist(), metres, ranks, shared_days, sources, strict=True):
                # _result, inlined: thousands of answers per package
                km = round(m / 1000.0, 1)
                out[pids[s]] = {"km": km, "drive_minutes": round(km / speed_kmh * 60), "band": BANDS[rank],
                                "days": list(_days_of(sh)), "source": SOURCES[src]}
        return out


def fit_across(indexes: dict[str, RoundIndex], centre: geo.Place, needs: dict[str, int],
               speed_kmh: float) -> dict[str, dict[str, Any] | None]:
    """One package against many providers' rounds, stacking them for this one call."""
    return RoundAtlas(indexes).fit(list(indexes), centre, needs, speed_kmh)
