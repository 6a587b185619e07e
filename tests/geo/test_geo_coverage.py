"""Coverage entries: parsing, validation messages, and exact containment."""

from __future__ import annotations

import math

import numpy as np
import pyproj
import pytest

import geo

TO_WGS84 = pyproj.Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)


def bng_ring(points):
    """[[lon, lat], ...] closed ring from BNG (e, n) corners."""
    ring = [list(TO_WGS84.transform(e, n)) for e, n in points]
    return ring + [ring[0]]


def square(e, n, half):
    return bng_ring([(e - half, n - half), (e + half, n - half), (e + half, n + half), (e - half, n + half)])


def pair_at(index, centre, lo_m, hi_m):
    """A real postcode whose grid distance from centre is in [lo_m, hi_m], and that distance."""
    rng = np.random.default_rng(1)
    for _ in range(200_000):
        p = index.place_at(int(rng.integers(0, len(index))))
        d = math.hypot(p.easting - centre.easting, p.northing - centre.northing)
        if lo_m <= d <= hi_m:
            return p, d
    # Sampling the whole country rarely lands in a ring around one town; walk nearby districts.
    for code in index.districts():
        ce, cn = index.district_centroid(code)
        if abs(math.hypot(ce - centre.easting, cn - centre.northing) - (lo_m + hi_m) / 2) > 5000:
            continue
        for r in index.district_rows(code):
            p = index.place_at(r)
            d = math.hypot(p.easting - centre.easting, p.northing - centre.northing)
            if lo_m <= d <= hi_m:
                return p, d
    raise AssertionError("no postcode in range")


def test_parse_each_kind_and_normalise(postcode_index):
    raw = [
        {"kind": "districts", "codes": ["sg1", "SG2", " sg1 "]},
        {"kind": "radius", "postcode": "sg11aa", "km": 8},
        {"kind": "radius", "postcode": "HR1 2AA", "km": 7.5},
        {"kind": "polygon", "geojson": {"type": "Polygon", "coordinates": [square(524000, 224000, 1000)]}},
    ]
    cov = geo.parse_coverage(raw, postcode_index)
    assert [c.kind for c in cov] == ["districts", "radius", "radius", "polygon"]
    assert cov[0].to_json() == {"kind": "districts", "codes": ["SG1", "SG2"]}
    assert cov[1].to_json() == {"kind": "radius", "postcode": "SG1 1AA", "km": 8}
    assert cov[2].to_json() == {"kind": "radius", "postcode": "HR1 2AA", "km": 7.5}
    assert cov[3].to_json()["geojson"]["type"] == "Polygon"
    # The normalised form parses back to an equal entry.
    assert geo.parse_coverage([c.to_json() for c in cov], postcode_index) == cov
    assert cov[0].centres() == [postcode_index.district_centroid("SG1"), postcode_index.district_centroid("SG2")]
    sg = postcode_index.lookup("SG1 1AA")
    assert cov[1].centres() == [(sg.easting, sg.northing)]
    (ce, cn), = cov[3].centres()
    assert ce == pytest.approx(524000, abs=1) and cn == pytest.approx(224000, abs=1)


def test_open_ring_and_feature_are_accepted(postcode_index):
    ring = square(524000, 224000, 1000)[:-1]
    feature = {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [ring]}}
    (cov,) = geo.parse_coverage([{"kind": "polygon", "geojson": feature}], postcode_index)
    coords = cov.to_json()["geojson"]["coordinates"][0]
    assert coords[0] == coords[-1] and len(coords) == 5


def test_districts_contains(postcode_index):
    (cov,) = geo.parse_coverage([{"kind": "districts", "codes": ["SG1", "RH10"]}], postcode_index)
    assert cov.contains(postcode_index.lookup("SG1 1AB"))
    assert cov.contains(postcode_index.lookup("RH10 1AE"))
    sg2 = postcode_index.place_at(postcode_index.district_rows("SG2").start)
    assert sg2.district == "SG2" and not cov.contains(sg2)
    assert not cov.contains(postcode_index.lookup("HR1 2AA"))
    # SG10 starts with "SG1" but is another district.
    sg10 = postcode_index.place_at(postcode_index.district_rows("SG10").start)
    assert not cov.contains(sg10)


def test_radius_boundary_with_real_postcodes(postcode_index):
    centre = postcode_index.lookup("SG1 1AA")
    near, d_near = pair_at(postcode_index, centre, 7200, 7400)
    far, d_far = pair_at(postcode_index, centre, 8300, 8500)
    (cov,) = geo.parse_coverage([{"kind": "radius", "postcode": "SG1 1AA", "km": 8}], postcode_index)
    assert cov.contains(near), (near, d_near)
    assert not cov.contains(far), (far, d_far)
    assert cov.contains(centre)


def test_radius_is_inclusive_and_exact(postcode_index):
    centre = postcode_index.lookup("HR1 2AA")
    other, d = pair_at(postcode_index, centre, 5000, 6000)
    at = geo.parse_coverage([{"kind": "radius", "postcode": "HR1 2AA", "km": math.ceil(d) / 1000}], postcode_index)[0]
    short = geo.parse_coverage([{"kind": "radius", "postcode": "HR1 2AA", "km": math.floor(d) / 1000}], postcode_index)[0]
    assert at.contains(other)
    assert not short.contains(other)


def test_polygon_contains_and_excludes(postcode_index):
    inside = postcode_index.lookup("SG1 1AB")
    outside = postcode_index.lookup("HR1 2AA")
    poly = {"type": "Polygon", "coordinates": [square(inside.easting, inside.northing, 1500)]}
    (cov,) = geo.parse_coverage([{"kind": "polygon", "geojson": poly}], postcode_index)
    assert cov.contains(inside)
    assert not cov.contains(outside)
    # A hole around the place takes it out again.
    holed = {"type": "Polygon", "coordinates": [square(inside.easting, inside.northing, 1500),
                                               square(inside.easting, inside.northing, 200)]}
    (cov,) = geo.parse_coverage([{"kind": "polygon", "geojson": holed}], postcode_index)
    assert not cov.contains(inside)
    # MultiPolygon: the second part is enough.
    multi = {"type": "MultiPolygon", "coordinates": [
        [square(inside.easting + 20_000, inside.northing, 1000)],
        [square(outside.easting, outside.northing, 1000)]]}
    (cov,) = geo.parse_coverage([{"kind": "polygon", "geojson": multi}], postcode_index)
    assert cov.contains(outside) and not cov.contains(inside)


def test_polygon_boundary_counts_as_inside(postcode_index):
    p = postcode_index.lookup("SG1 1AB")
    # A triangle whose (BNG) edge passes through the place: built in BNG, so the test
    # does not depend on round trips through WGS84.
    (cov,) = geo.parse_coverage([{"kind": "polygon", "geojson": {"type": "Polygon", "coordinates": [
        square(p.easting, p.northing, 1000)]}}], postcode_index)
    corner = cov.geometry.exterior.coords[0]
    on_edge = geo.Place("X", "X", "X", corner[0], corner[1], 0.0, 0.0)
    assert cov.contains(on_edge)


BAD = [
    (None, "list"),
    ({"kind": "districts", "codes": ["SG1"]}, "list"),
    ([], "at least one"),
    (["SG1"], "object"),
    ([{"codes": ["SG1"]}], "kind"),
    ([{"kind": "circle", "postcode": "SG1 1AA", "km": 3}], "circle"),
    ([{"kind": "districts"}], "district"),
    ([{"kind": "districts", "codes": []}], "district"),
    ([{"kind": "districts", "codes": "SG1"}], "district"),
    ([{"kind": "districts", "codes": ["SG1", "ZZ9"]}], "ZZ9"),
    ([{"kind": "districts", "codes": ["SG99"]}], "SG99"),
    ([{"kind": "districts", "codes": ["SG1 1AA"]}], "SG1 1AA"),
    ([{"kind": "districts", "codes": [12]}], "12"),
    ([{"kind": "radius", "km": 5}], "postcode"),
    ([{"kind": "radius", "postcode": "NOT A POSTCODE", "km": 5}], "NOT A POSTCODE"),
    ([{"kind": "radius", "postcode": "SG1 1ZZ", "km": 5}], "SG1 1ZZ"),
    ([{"kind": "radius", "postcode": "AB43 1AG", "km": 5}], "AB43 1AG"),
    ([{"kind": "radius", "postcode": "SG1 1AA"}], "km"),
    ([{"kind": "radius", "postcode": "SG1 1AA", "km": "8"}], "km"),
    ([{"kind": "radius", "postcode": "SG1 1AA", "km": True}], "km"),
    ([{"kind": "radius", "postcode": "SG1 1AA", "km": 0}], "km"),
    ([{"kind": "radius", "postcode": "SG1 1AA", "km": -3}], "km"),
    ([{"kind": "radius", "postcode": "SG1 1AA", "km": 201}], "km"),
    ([{"kind": "radius", "postcode": "SG1 1AA", "km": float("nan")}], "km"),
    ([{"kind": "radius", "postcode": "SG1 1AA", "km": float("inf")}], "km"),
    ([{"kind": "polygon"}], "geojson"),
    ([{"kind": "polygon", "geojson": "POLYGON((0 0, 1 0, 1 1, 0 0))"}], "GeoJSON"),
    ([{"kind": "polygon", "geojson": {"type": "Point", "coordinates": [-0.2, 51.9]}}], "Point"),
    ([{"kind": "polygon", "geojson": {"type": "Polygon"}}], "rings"),
    ([{"kind": "polygon", "geojson": {"type": "Polygon", "coordinates": []}}], "rings"),
    ([{"kind": "polygon", "geojson": {"type": "Polygon", "coordinates": [[[-0.2, 51.9], [-0.1, 51.9]]]}}], "three"),
    ([{"kind": "polygon", "geojson": {"type": "Polygon", "coordinates": [[[-0.2, 51.9], [-0.1, "x"], [-0.1, 52.0], [-0.2, 51.9]]]}}], "number"),
    ([{"kind": "polygon", "geojson": {"type": "Polygon", "coordinates": [[[-0.2, 51.9], [-0.1], [-0.1, 52.0], [-0.2, 51.9]]]}}], "position"),
    # Paris is not in Great Britain.
    ([{"kind": "polygon", "geojson": {"type": "Polygon", "coordinates": [[[2.3, 48.8], [2.4, 48.8], [2.4, 48.9], [2.3, 48.8]]]}}], "outside Great Britain"),
    # Latitude and longitude swapped.
    ([{"kind": "polygon", "geojson": {"type": "Polygon", "coordinates": [[[51.9, -0.2], [51.9, -0.1], [52.0, -0.1], [51.9, -0.2]]]}}], "outside Great Britain"),
    # Bow tie: edges cross.
    ([{"kind": "polygon", "geojson": {"type": "Polygon", "coordinates": [[[-0.2, 51.9], [-0.1, 52.0], [-0.1, 51.9], [-0.2, 52.0], [-0.2, 51.9]]]}}], "not valid"),
    # Hole outside its shell.
    ([{"kind": "polygon", "geojson": {"type": "Polygon", "coordinates": [
        [[-0.2, 51.9], [-0.1, 51.9], [-0.1, 52.0], [-0.2, 52.0], [-0.2, 51.9]],
        [[0.2, 51.9], [0.3, 51.9], [0.3, 52.0], [0.2, 51.9]]]}}], "not valid"),
    # All corners on one line: no area.
    ([{"kind": "polygon", "geojson": {"type": "Polygon", "coordinates": [[[-0.2, 51.9], [-0.1, 51.9], [0.0, 51.9], [-0.2, 51.9]]]}}], "polygon"),
    ([{"kind": "polygon", "geojson": {"type": "MultiPolygon", "coordinates": []}}], "MultiPolygon"),
    ([{"kind": "polygon", "geojson": {"type": "Polygon", "coordinates": [
        [[-0.2 + 0.1 * math.cos(t), 51.9 + 0.1 * math.sin(t)] for t in np.linspace(0, 2 * math.pi, 20_500)]]}}], "too many"),
]


@pytest.mark.parametrize("raw, mentions", BAD, ids=[f"bad{i}" for i in range(len(BAD))])
def test_bad_coverage_is_rejected_with_a_clear_message(postcode_index, raw, mentions):
    with pytest.raises(geo.InvalidCoverage) as info:
        geo.parse_coverage(raw, postcode_index)
    assert info.value.message == str(info.value)
    assert mentions.lower() in info.value.message.lower(), info.value.message


def test_message_names_the_entry(postcode_index):
    raw = [{"kind": "districts", "codes": ["SG1"]}, {"kind": "radius", "postcode": "SG1 1AA", "km": 500}]
    with pytest.raises(geo.InvalidCoverage) as info:
        geo.parse_coverage(raw, postcode_index)
    assert info.value.message.startswith("coverage[1].km")
