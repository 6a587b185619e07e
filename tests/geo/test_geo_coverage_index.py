"""CoverageIndex: the same answers as Coverage.contains, fast, and current as providers change."""

from __future__ import annotations

import math

import numpy as np
import pyproj
import pytest
import shapely

import geo
from geo import grid

TO_WGS84 = pyproj.Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
GEOD = pyproj.Geod(ellps="WGS84")


def star(rng, e, n):
    k = int(rng.integers(6, 16))
    ang = (np.arange(k) + rng.uniform(0.15, 0.85, k)) * (2 * math.pi / k)
    rad = rng.uniform(2000, 12000) * rng.uniform(0.5, 1.0, k)
    lon, lat = TO_WGS84.transform(e + rad * np.cos(ang), n + rad * np.sin(ang))
    ring = [[float(x), float(y)] for x, y in zip(lon, lat)]
    return {"type": "Polygon", "coordinates": [ring + [ring[0]]]}


@pytest.fixture(scope="module")
def world(postcode_index):
    """300 providers around Hertfordshire, and 400 package places in the same region."""
    rng = np.random.default_rng(42)
    centre = postcode_index.lookup("SG1 1AA")
    near = [d for d in postcode_index.districts()
            if math.dist(postcode_index.district_centroid(d), (centre.easting, centre.northing)) < 40_000]
    rows = [r for d in near for r in postcode_index.district_rows(d)]
    places = [postcode_index.place_at(rows[int(i)]) for i in rng.integers(0, len(rows), 700)]
    providers = {}
    for i, p in enumerate(places[:300]):
        kind = i % 4
        if kind == 0:
            raw = [{"kind": "districts", "codes": list(rng.choice(near, int(rng.integers(1, 5)), replace=False))}]
        elif kind == 1:
            raw = [{"kind": "radius", "postcode": p.postcode, "km": float(rng.uniform(2, 15))}]
        elif kind == 2:
            raw = [{"kind": "polygon", "geojson": star(rng, p.easting, p.northing)}]
        else:
            raw = [{"kind": "radius", "postcode": p.postcode, "km": 5},
                   {"kind": "districts", "codes": [p.district]}]
        providers[f"p{i}"] = geo.parse_coverage(raw, postcode_index)
    return providers, places[300:]


def brute(providers, place):
    return {pid for pid, cov in providers.items() if any(c.contains(place) for c in cov)}


def test_covering_matches_the_definition(postcode_index, world):
    providers, packages = world
    index = geo.CoverageIndex(postcode_index)
    for pid, cov in providers.items():
        index.set(pid, cov)
    sizes = []
    for place in packages:
        got = index.covering(place)
        assert got == brute(providers, place), place
        sizes.append(len(got))
    assert max(sizes) > 10 and min(sizes) < max(sizes)  # the sample is not trivial


def test_set_replaces_and_remove_forgets(postcode_index, world):
    providers, packages = world
    index = geo.CoverageIndex(postcode_index)
    for pid, cov in providers.items():
        index.set(pid, cov)
    place = packages[0]
    before = index.covering(place)
    hr = geo.parse_coverage([{"kind": "districts", "codes": ["HR1"]}], postcode_index)
    victim = sorted(before)[0]
    index.set(victim, hr)  # now covers Hereford only
    assert victim not in index.covering(place)
    assert victim in index.covering(postcode_index.lookup("HR1 2AA"))
    index.set(victim, providers[victim])
    assert index.covering(place) == before
    for pid in before:
        index.remove(pid)
    assert index.covering(place) == set()
    assert index.distance_km(victim, place) is None
    index.remove("never-there")  # harmless


def test_new_radius_provider_is_seen_by_the_next_query(postcode_index):
    index = geo.CoverageIndex(postcode_index)
    place = postcode_index.lookup("RH10 1AE")
    assert index.covering(place) == set()
    index.set("a", geo.parse_coverage([{"kind": "radius", "postcode": "RH10 1AA", "km": 3}], postcode_index))
    assert index.covering(place) == {"a"}
    index.set("b", geo.parse_coverage([{"kind": "polygon", "geojson": {"type": "Polygon", "coordinates": [[
        list(TO_WGS84.transform(place.easting + dx, place.northing + dy))
        for dx, dy in ((-500, -500), (500, -500), (500, 500), (-500, 500), (-500, -500))]]}}], postcode_index))
    assert index.covering(place) == {"a", "b"}
    index.set("a", geo.parse_coverage([{"kind": "districts", "codes": ["RH10"]}], postcode_index))
    assert index.covering(place) == {"a", "b"}
    index.remove("b")
    assert index.covering(place) == {"a"}


def test_circle_is_exact_at_the_boundary(postcode_index):
    """A point just inside the true circle but outside shapely's buffered 64-gon is covered."""
    centre = postcode_index.lookup("CM1 1AE")
    seg = 2 * math.pi / 64  # shapely buffer's default: 16 segments per quarter
    best = None
    for code in ("CM1", "CM2", "CM3"):
        for r in postcode_index.district_rows(code):
            p = postcode_index.place_at(r)
            dx, dy = p.easting - centre.easting, p.northing - centre.northing
            d = math.hypot(dx, dy)
            if 3000 < d < 9000:
                off = abs((math.atan2(dy, dx) % seg) - seg / 2)  # 0 = middle of a chord
                if best is None or off < best[0]:
                    best = (off, p, d)
    _, p, d = best
    km = (d + 0.5) / 1000
    circle = shapely.buffer(shapely.Point(centre.easting, centre.northing), km * 1000)
    assert not circle.contains(shapely.Point(p.easting, p.northing))  # the approximation misses it
    index = geo.CoverageIndex(postcode_index)
    index.set("in", geo.parse_coverage([{"kind": "radius", "postcode": "CM1 1AE", "km": km}], postcode_index))
    index.set("out", geo.parse_coverage([{"kind": "radius", "postcode": "CM1 1AE", "km": (d - 0.5) / 1000}], postcode_index))
    assert index.covering(p) == {"in"}


def test_distance_km_matches_the_geodesic(postcode_index):
    index = geo.CoverageIndex(postcode_index)
    # Centres across the grid: near the central meridian, far west and far east.
    pairs = [("SG1 1AA", "HR1 2AA"), ("PL1 1AE", "TR21 0AB"), ("NR1 1AA", "CT1 1AA"),
             ("BN11 1AH", "RH10 1AE"), ("CM1 1AE", "SG1 1AB"), ("ZE1 0AA", "TR21 0AB")]
    for i, (a, b) in enumerate(pairs):
        index.set(str(i), geo.parse_coverage([{"kind": "radius", "postcode": a, "km": 10}], postcode_index))
        pa, pb = postcode_index.lookup(a), postcode_index.lookup(b)
        _, _, metres = GEOD.inv(pa.lon, pa.lat, pb.lon, pb.lat)
        got = index.distance_km(str(i), pb)
        assert got == round(got, 1)
        assert abs(got - metres / 1000) <= 0.05 + 0.002 * metres / 1000, (a, b, got, metres)
        # Unrounded, the scale-factor correction is far better than the 0.04-0.07% a raw
        # grid distance would be off by.
        exact = grid.ground_distance_m(pa.easting, pa.northing, pb.easting, pb.northing)
        assert abs(exact - metres) / metres < 1e-4, (a, b, exact, metres)
    assert index.distance_km("nobody", postcode_index.lookup("SG1 1AA")) is None


def test_distance_km_uses_the_nearest_centre(postcode_index):
    index = geo.CoverageIndex(postcode_index)
    index.set("p", geo.parse_coverage([
        {"kind": "districts", "codes": ["HR1", "SG1"]},
        {"kind": "radius", "postcode": "BN11 1AH", "km": 5}], postcode_index))
    place = postcode_index.lookup("SG1 1AB")
    e, n = postcode_index.district_centroid("SG1")
    expected = round(grid.ground_distance_m(e, n, place.easting, place.northing) / 1000, 1)
    assert index.distance_km("p", place) == expected < 5
    bn = postcode_index.lookup("BN11 1AH")
    assert index.distance_km("p", bn) == 0.0
