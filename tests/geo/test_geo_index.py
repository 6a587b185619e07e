"""PostcodeIndex: districts, centroids, outlines, and the on-disk cache."""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys
import textwrap
import time

import numpy as np
import pyproj
import pytest
import shapely
import shapely.geometry

import geo
from geo import source

REPO = pathlib.Path(__file__).resolve().parents[2]


def test_has_district(postcode_index):
    for code in ("SG1", "sg1", " hr1 ", "RH10", "BN11", "CM1", "W1A", "EC1A", "ZE1"):
        assert postcode_index.has_district(code), code
    for code in ("SG99", "ZZ9", "", "SG1 1AA", "not a code"):
        assert not postcode_index.has_district(code), code


def test_district_centroid_is_the_mean_of_its_postcodes(postcode_index):
    places = [postcode_index.place_at(r) for r in postcode_index.district_rows("SG1")]
    assert len(places) > 500 and all(p.district == "SG1" for p in places)
    e, n = postcode_index.district_centroid("sg1")
    assert e == pytest.approx(np.mean([p.easting for p in places]), abs=1e-6)
    assert n == pytest.approx(np.mean([p.northing for p in places]), abs=1e-6)
    with pytest.raises(KeyError):
        postcode_index.district_centroid("SG99")
    with pytest.raises(KeyError):
        postcode_index.district_centroid("rubbish")


def test_district_shape_is_a_feature_around_its_postcodes(postcode_index):
    feature = postcode_index.district_shape("hr1")
    assert feature["type"] == "Feature"
    props = feature["properties"]
    rows = postcode_index.district_rows("HR1")
    assert props["code"] == "HR1" and props["postcodes"] == len(rows)
    hull = shapely.geometry.shape(feature["geometry"])
    assert hull.geom_type == "Polygon" and hull.is_valid
    # Every postcode of the district lies in its outline (vertices are rounded to 1e-6 deg).
    pts = [(p.lon, p.lat) for p in map(postcode_index.place_at, rows)]
    assert shapely.covers(hull.buffer(2e-6), shapely.points(pts)).all()
    # Concave, not convex: it hugs the points more tightly than their convex hull.
    assert hull.area < shapely.multipoints(pts).convex_hull.area
    e, n = postcode_index.district_centroid("HR1")
    lon, lat = pyproj.Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True).transform(e, n)
    assert props["centroid"] == [pytest.approx(lon, abs=1e-6), pytest.approx(lat, abs=1e-6)]
    # A neighbour's postcode is not in HR1's outline.
    other = postcode_index.lookup("SG1 1AA")
    assert not hull.covers(shapely.Point(other.lon, other.lat))
    with pytest.raises(KeyError):
        postcode_index.district_shape("ZZ9")


def test_district_shape_of_a_tiny_district_is_still_a_polygon(postcode_index):
    # The smallest district in the data, whatever it is: one or two points have no area.
    sizes = {d: len(postcode_index.district_rows(d)) for d in postcode_index.districts()}
    tiny = min(sizes, key=sizes.get)
    feature = postcode_index.district_shape(tiny)
    assert feature["geometry"]["type"] == "Polygon"
    assert shapely.geometry.shape(feature["geometry"]).area > 0
    assert feature["properties"]["postcodes"] == sizes[tiny]


def test_warm_load_is_fast(postcode_index):
    t = time.perf_counter()
    again = geo.PostcodeIndex.load(REPO / ".cache" / "geo")
    assert time.perf_counter() - t < 1.0
    assert len(again) == len(postcode_index)
    assert again.lookup("SG1 1AA") == postcode_index.lookup("SG1 1AA")


def test_lookup_is_microseconds(postcode_index):
    codes = [postcode_index.place_at(r).postcode for r in range(0, len(postcode_index), 997)]
    t = time.perf_counter()
    for c in codes:
        postcode_index.lookup(c)
    per_call = (time.perf_counter() - t) / len(codes)
    assert per_call < 50e-6  # target is ~3 us; generous for a busy CI machine


def _subset(tmp_path: pathlib.Path) -> pathlib.Path:
    src = tmp_path / "src"
    src.mkdir()
    for name in ("hr.csv.gz", "ab.csv.gz"):
        shutil.copy(source.default_source_dir() / name, src / name)
    return src


def test_subset_build_excludes_rows_without_coordinates(tmp_path):
    index = geo.PostcodeIndex.load(tmp_path / "cache", source_dir=_subset(tmp_path))
    assert index.lookup("HR1 2AA").district == "HR1"
    with pytest.raises(geo.UnknownPostcode):
        index.lookup("AB43 1AG")  # in ab.csv.gz, but with 0,0
    with pytest.raises(geo.UnknownPostcode):
        index.lookup("SG1 1AA")  # not in this subset
    assert index.has_district("AB10") and not index.has_district("SG1")


def test_concurrent_cold_builds_agree(tmp_path):
    src = _subset(tmp_path)
    cache = tmp_path / "cache"
    script = textwrap.dedent(f"""
        import pathlib, sys
        sys.path.insert(0, {str(REPO)!r})
        import geo
        ix = geo.PostcodeIndex.load(pathlib.Path({str(cache)!r}), source_dir=pathlib.Path({str(src)!r}))
        print(len(ix), ix.lookup("HR1 2AA").easting)
    """)
    procs = [subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outs = [p.communicate(timeout=60) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in outs]
    assert len({out for out, _ in outs}) == 1
    built = [d for d in os.listdir(cache) if not d.startswith(".build.lock")]
    assert len(built) == 1 and built[0].startswith("codepoint-"), built  # no temp dirs left


def test_changed_source_builds_a_new_cache(tmp_path):
    src = _subset(tmp_path)
    cache = tmp_path / "cache"
    first = geo.PostcodeIndex.load(cache, source_dir=src)
    (src / "ab.csv.gz").unlink()
    second = geo.PostcodeIndex.load(cache, source_dir=src)
    assert len(second) < len(first)
    assert len([d for d in cache.iterdir() if d.name.startswith("codepoint-")]) == 2
