"""The on-disk form of the postcode index: a directory of .npy arrays, memory-mapped.

A build writes into a private temporary directory and renames it into place, so a reader
sees either no cache or a whole one. An exclusive file lock makes concurrent cold starts
(several web and worker processes booting together) build once rather than N times; the
rename alone would already keep them correct.
"""

from __future__ import annotations

import fcntl
import json
import os
import pathlib
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

import numpy as np

from . import grid, source
from .errors import GeoError

FORMAT_VERSION = 2
_ARRAYS = ("keys", "rec", "d_codes", "d_start", "d_end", "d_e", "d_n")
# One record per postcode, so a lookup reads one place in memory (one page fault when
# cold) rather than one per column.
RECORD = np.dtype([("e", "<i4"), ("n", "<i4"), ("lat", "<f8"), ("lon", "<f8")])


@dataclass(frozen=True, slots=True)
class Arrays:
    keys: np.ndarray  # int64, sorted; see postcode.postcode_key
    rec: np.ndarray  # RECORD per key: easting, northing (int metres), lat, lon (WGS84)
    d_codes: np.ndarray  # S4 district codes, sorted like the keys
    d_start: np.ndarray  # int64 first row of each district
    d_end: np.ndarray  # int64 one past its last row
    d_e: np.ndarray  # float64 mean easting of the district
    d_n: np.ndarray  # float64 mean northing


def build_arrays(raw: source.RawPostcodes) -> Arrays:
    # Big-endian bytes of the 7-char layout read as an integer keep the textual order.
    as_bytes = raw.codes.view(np.uint8).reshape(-1, 7).astype(np.int64)
    keys = np.zeros(len(raw.codes), dtype=np.int64)
    for col in range(7):
        keys = (keys << 8) | as_bytes[:, col]
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    if len(keys) > 1 and np.any(keys[1:] == keys[:-1]):
        # Code-Point Open has one row per unit; a duplicate means the source is not what
        # we think it is, and silently picking one would hide that.
        raise GeoError("duplicate postcodes in the Code-Point Open source")
    easting = raw.easting[order]
    northing = raw.northing[order]
    lon, lat = grid.bng_to_lonlat(easting.astype(np.float64), northing.astype(np.float64))

    district_keys = keys >> 24  # drop the 3 inward bytes
    starts = np.flatnonzero(np.r_[True, district_keys[1:] != district_keys[:-1]])
    ends = np.r_[starts[1:], len(keys)]
    counts = (ends - starts).astype(np.float64)
    d_e = np.add.reduceat(easting.astype(np.float64), starts) / counts
    d_n = np.add.reduceat(northing.astype(np.float64), starts) / counts
    d_codes = np.array(
        [int(k).to_bytes(4, "big").rstrip() for k in district_keys[starts]], dtype="S4"
    )
    rec = np.empty(len(keys), dtype=RECORD)
    rec["e"], rec["n"], rec["lat"], rec["lon"] = easting, northing, lat, lon
    return Arrays(
        keys=keys,
        rec=rec,
        d_codes=d_codes,
        d_start=starts.astype(np.int64),
        d_end=ends.astype(np.int64),
        d_e=d_e,
        d_n=d_n,
    )


@contextmanager
def _locked(path: pathlib.Path) -> Iterator[None]:
    with open(path, "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _write(directory: pathlib.Path, arrays: Arrays, manifest: dict) -> None:
    for name in _ARRAYS:
        with open(directory / f"{name}.npy", "wb") as fh:
            np.save(fh, getattr(arrays, name))
            fh.flush()
            os.fsync(fh.fileno())
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=1))


def _open(directory: pathlib.Path) -> Arrays:
    # np.asarray drops the np.memmap subclass (same pages, no copy): its Python-level
    # __getitem__ would triple the cost of a single-row lookup.
    return Arrays(**{n: np.asarray(np.load(directory / f"{n}.npy", mmap_mode="r")) for n in _ARRAYS})


def ensure(cache_dir: pathlib.Path, source_dir: pathlib.Path | None = None) -> Arrays:
    """Open the cache for the current source data, building it first if it is missing."""
    files = source.csv_files(source_dir or source.default_source_dir())
    final = cache_dir / f"codepoint-v{FORMAT_VERSION}-{source.signature(files)}"
    if (final / "manifest.json").exists():
        return _open(final)
    cache_dir.mkdir(parents=True, exist_ok=True)
    with _locked(cache_dir / ".build.lock"):
        if (final / "manifest.json").exists():  # someone else built it while we waited
            return _open(final)
        tmp = pathlib.Path(tempfile.mkdtemp(prefix=".build-", dir=cache_dir))
        try:
            arrays = build_arrays(source.read(files))
            _write(tmp, arrays, {"format": FORMAT_VERSION, "postcodes": int(len(arrays.keys)),
                                 "source": str(files[0].parent), "files": len(files)})
            os.chmod(tmp, 0o755)  # mkdtemp's 0700 would hide it from other service users
            try:
                os.rename(tmp, final)
            except OSError:
                # A builder that does not honour the lock (another host on a shared disk)
                # got there first; its copy is as good as ours.
                if not (final / "manifest.json").exists():
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return _open(final)
