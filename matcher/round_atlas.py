"""Many providers' rounds stacked once, so a package is fitted across all of them by a few
whole-array operations.

Fitting one package across its matched providers used to stack every provider's stops per
band on every call: thousands of small arrays gathered and concatenated, which cost more
than the arithmetic. The atlas does that stacking once, when the rounds change, and keeps
per band one array of every stop with its owner's slot. A fit then marks the wanted
providers in a boolean array, keeps the stops that are theirs and share a day, and takes
the nearest per provider: no Python loop over providers until the answers are written.

The choice is the one `rounds.fit` makes: nearest first; on a tie the earlier band, then
the stop sharing more days (a thousandth of a square metre per shared day decides ties
only), then the earlier stop.
"""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np

import geo
from matcher.model import BANDS
from matcher.rounds import _POP, BAND_RANK, RoundIndex, _result


class RoundAtlas:
    def __init__(self, indexes: dict[str, RoundIndex], bands: Iterable[str] = BANDS) -> None:
        """Stacks the given bands (all of them unless told: a one-off fit needs only its own)."""
        self.indexes = dict(indexes)  # what it was built from, to tell when it is stale
        self.pids = list(self.indexes)
        self.slot = {pid: n for n, pid in enumerate(self.pids)}
        self.complete = set(bands) >= set(BANDS)
        # band -> (4 x k stops: easting, northing, days, source; k owners' slots), in slot order
        self.bands: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for band in (b for b in BANDS if b in set(bands)):
            parts, owners = [], []
            for n, pid in enumerate(self.pids):
                stops = self.indexes[pid].bands.get(band)
                if stops is not None:
                    parts.append(stops.data)
                    owners.append(n)
            if parts:
                data = np.concatenate(parts, axis=1)
                owner = np.repeat(np.array(owners, dtype=np.int64), [a.shape[1] for a in parts])
                self.bands[band] = (data, owner)
        self.days = {band: data[2].astype(np.int64) for band, (data, _) in self.bands.items()}

    def covers(self, indexes: dict[str, RoundIndex]) -> bool:
        """Built from exactly these index objects (indexes are never changed once built)."""
        return self.complete and all(self.indexes.get(pid) is ix for pid, ix in indexes.items())

    def fit(self, provider_ids: list[str], centre: geo.Place, needs: dict[str, int],
            speed_kmh: float) -> dict[str, dict[str, Any] | None]:
        out: dict[str, dict[str, Any] | None] = dict.fromkeys(provider_ids)
        slots = [self.slot[pid] for pid in provider_ids if pid in self.slot]
        if not slots:
            return out
        member = np.zeros(len(self.pids), dtype=bool)
        member[slots] = True
        x, y = centre.easting, centre.northing
        best_d2 = np.full(len(self.pids), np.inf)
        best = np.zeros((5, len(self.pids)))  # band rank, shared days, easting, northing, source
        for band in BANDS:  # band order: a later band replaces only a strictly nearer stop
            need = needs.get(band, 0)
            if not need or band not in self.bands:
                continue
            data, owner_all = self.bands[band]
            shared_all = self.days[band] & need
            keep = np.flatnonzero((shared_all != 0) & member[owner_all])
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
            for s, m, rank, sh, src in zip(found.tolist(), metres, ranks, shared_days, sources, strict=True):
                out[self.pids[s]] = _result(m, BANDS[rank], sh, src, speed_kmh)
        return out


def fit_across(indexes: dict[str, RoundIndex], centre: geo.Place, needs: dict[str, int],
               speed_kmh: float) -> dict[str, dict[str, Any] | None]:
    """One package against many providers' rounds, stacking them for this one call."""
    return RoundAtlas(indexes, bands=needs).fit(list(indexes), centre, needs, speed_kmh)
