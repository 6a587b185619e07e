"""CoverageIndex: which providers cover a place, over every provider at once.

District coverage is a dict from district to provider ids: one lookup. Radius and polygon
coverage live in one STRtree. Radius entries go in as the circle's bounding box and are
then decided by exact distance in bulk (numpy), so a point on the circle is never lost to
a buffered polygon's chords; polygons are decided by shapely on prepared geometries.

The tree is immutable, so changes mark it stale and the next query rebuilds it (a few ms
for 12,000 providers). Each rebuild produces a new snapshot object and swaps it in whole:
a query in another thread sees either the old or the new one, never half of each.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import shapely

from .coverage import Coverage
from .grid import ground_distance_m
from .index import PostcodeIndex
from .place import Place


@dataclass(frozen=True, slots=True)
class _Snapshot:
    tree: shapely.STRtree | None
    geoms: np.ndarray  # shapely geometries: circle bounding boxes, then BNG polygons
    owner: np.ndarray  # int index into pids, per geometry
    is_circle: np.ndarray  # bool per geometry
    cx: np.ndarray  # circle centre (ignored for polygons)
    cy: np.ndarray
    r2: np.ndarray  # squared radius in m^2
    pids: list[str]


_EMPTY = _Snapshot(None, np.empty(0, dtype=object), np.empty(0, dtype=np.int64),
                   np.empty(0, dtype=bool), np.empty(0), np.empty(0), np.empty(0), [])


class CoverageIndex:
    def __init__(self, index: PostcodeIndex):
        # Kept for callers that need places from the same data; coverage is already resolved.
        self.postcodes = index
        self._coverage: dict[str, tuple[Coverage, ...]] = {}
        self._by_district: dict[str, set[str]] = {}
        self._centres: dict[str, tuple[tuple[float, float], ...]] = {}
        self._snapshot = _EMPTY
        self._dirty = False
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._coverage)

    def __contains__(self, provider_id: object) -> bool:
        return provider_id in self._coverage

    def set(self, provider_id: str, coverage: list[Coverage]) -> None:
        """Add the provider, or replace all of its coverage."""
        with self._lock:
            self._drop(provider_id)
            entries = tuple(coverage)
            self._coverage[provider_id] = entries
            for c in entries:
                for code in c.codes:
                    self._by_district.setdefault(code, set()).add(provider_id)
            self._centres[provider_id] = tuple(p for c in entries for p in c.centres())
            if any(c.kind != "districts" for c in entries):
                self._dirty = True

    def remove(self, provider_id: str) -> None:
        with self._lock:
            self._drop(provider_id)

    def _drop(self, provider_id: str) -> None:
        old = self._coverage.pop(provider_id, None)
        if old is None:
            return
        self._centres.pop(provider_id, None)
        for c in old:
            for code in c.codes:
                holders = self._by_district.get(code)
                if holders is not None:
                    holders.discard(provider_id)
                    if not holders:
                        del self._by_district[code]
        if any(c.kind != "districts" for c in old):
            self._dirty = True

    def _current(self) -> _Snapshot:
        if self._dirty:
            with self._lock:
                if self._dirty:
                    self._snapshot = self._build()
                    self._dirty = False
        return self._snapshot

    def _build(self) -> _Snapshot:
        pids: list[str] = []
        circles: list[tuple[int, float, float, float]] = []
        polygons: list[tuple[int, shapely.Geometry]] = []
        for pid, entries in self._coverage.items():
            slot = -1
            for c in entries:
                if c.kind == "districts":
                    continue
                if slot < 0:
                    slot = len(pids)
                    pids.append(pid)
                if c.kind == "radius":
                    circles.append((slot, c.centre[0], c.centre[1], c.km * 1000.0))
                else:
                    polygons.append((slot, c.geometry))
        if not circles and not polygons:
            return _EMPTY
        circ = np.array(circles, dtype=np.float64).reshape(-1, 4)
        cx, cy, r = circ[:, 1], circ[:, 2], circ[:, 3]
        boxes = shapely.box(cx - r, cy - r, cx + r, cy + r)
        poly_geoms = np.empty(len(polygons), dtype=object)
        poly_geoms[:] = [g for _, g in polygons]
        geoms = np.concatenate([boxes, poly_geoms])
        n_poly = len(polygons)
        pad = np.zeros(n_poly)
        return _Snapshot(
            tree=shapely.STRtree(geoms),
            geoms=geoms,
            owner=np.concatenate([circ[:, 0].astype(np.int64),
                                  np.array([s for s, _ in polygons], dtype=np.int64)]),
            is_circle=np.r_[np.ones(len(circles), dtype=bool), np.zeros(n_poly, dtype=bool)],
            cx=np.r_[cx, pad],
            cy=np.r_[cy, pad],
            r2=np.r_[r * r, pad],
            pids=pids,
        )

    def covering(self, place: Place) -> set[str]:
        """Ids of every provider with a coverage entry containing the place (boundary included)."""
        with self._lock:  # the district sets are edited in place by set()/remove()
            found = set(self._by_district.get(place.district, ()))
        snap = self._current()
        if snap.tree is None:
            return found
        x, y = place.easting, place.northing
        cand = snap.tree.query(shapely.Point(x, y))
        if cand.size == 0:
            return found
        circle = snap.is_circle[cand]
        c = cand[circle]
        if c.size:
            dx = x - snap.cx[c]
            dy = y - snap.cy[c]
            c = c[dx * dx + dy * dy <= snap.r2[c]]
        p = cand[~circle]
        if p.size:
            p = p[shapely.intersects_xy(snap.geoms[p], x, y)]
        pids = snap.pids
        found.update(pids[i] for i in snap.owner[np.concatenate([c, p])].tolist())
        return found

    def distance_km(self, provider_id: str, place: Place) -> float | None:
        """Ground distance from the place to the provider's nearest coverage centre, 0.1 km."""
        centres = self._centres.get(provider_id)
        if not centres:
            return None
        x, y = place.easting, place.northing
        e, n = min(centres, key=lambda c: (c[0] - x) ** 2 + (c[1] - y) ** 2)
        return round(ground_distance_m(e, n, x, y) / 1000.0, 1)
