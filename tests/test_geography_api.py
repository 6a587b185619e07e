"""Geography through the contract: radius and polygon coverage, distances, district shapes."""

from __future__ import annotations

from pyproj import Geod

from tests.conftest import World

GEOD = Geod(ellps="WGS84")


async def _place(world: World, postcode: str):
    import geo
    from tests.support import GEO_CACHE

    return geo.PostcodeIndex.load(GEO_CACHE).lookup(postcode)


async def test_radius_coverage_is_exact_at_the_boundary(world: World) -> None:
    import geo
    from tests.support import GEO_CACHE

    index = geo.PostcodeIndex.load(GEO_CACHE)
    centre = index.lookup("SG1 1AA")
    # Find real postcodes just inside and just outside 8 km of the centre.
    inside = outside = None
    for row in range(len(index)):
        place = index.place_at(row)
        d = ((place.easting - centre.easting) ** 2 + (place.northing - centre.northing) ** 2) ** 0.5
        if inside is None and 7200 <= d <= 7400:
            inside = place
        if outside is None and 8350 <= d <= 8450:
            outside = place
        if inside and outside:
            break
    assert inside and outside
    await world.add_provider("Radius Care", coverage=[{"kind": "radius", "postcode": "sg11aa", "km": 8}], tiers={})
    radius = world.users["Radius Care"]
    near = await world.post(postcode=inside.postcode)
    far = await world.post(postcode=outside.postcode)
    assert (await radius.raw("GET", f"/api/packages/{near['id']}")).status_code == 200
    assert (await radius.raw("GET", f"/api/packages/{far['id']}")).status_code == 404
    view = await radius("GET", f"/api/packages/{near['id']}", expect=200)
    _, _, metres = GEOD.inv(centre.lon, centre.lat, inside.lon, inside.lat)
    assert abs(view["distance_km"] - metres / 1000) <= 0.1


async def test_polygon_coverage(world: World) -> None:
    sg1 = await _place(world, "SG1 1AA")
    lon, lat = sg1.lon, sg1.lat
    square = {"type": "Polygon", "coordinates": [[[lon - 0.01, lat - 0.01], [lon + 0.01, lat - 0.01], [lon + 0.01, lat + 0.01], [lon - 0.01, lat + 0.01], [lon - 0.01, lat - 0.01]]]}
    await world.add_provider("Polygon Care", coverage=[{"kind": "polygon", "geojson": square}], tiers={})
    inside = await world.post(postcode="SG1 1AA")
    outside = await world.post(postcode="HR1 2AA")
    user = world.users["Polygon Care"]
    assert (await user.raw("GET", f"/api/packages/{inside['id']}")).status_code == 200
    assert (await user.raw("GET", f"/api/packages/{outside['id']}")).status_code == 404


async def test_coverage_change_takes_effect_on_the_next_package(world: World) -> None:
    alpha = world.providers["Alpha Care"]["id"]
    await world.broker("PATCH", f"/api/providers/{alpha}", {"coverage": [{"kind": "districts", "codes": ["HR1"]}]}, expect=200)
    package = await world.post(postcode="SG1 1AA")
    assert (await world.users["Alpha Care"].raw("GET", f"/api/packages/{package['id']}")).status_code == 404


async def test_district_shape(world: World) -> None:
    shape = await world.broker("GET", "/api/geo/districts/sg1", expect=200)
    assert shape["type"] == "Feature"
    assert shape["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert shape["properties"]["code"] == "SG1"
    lon, lat = shape["properties"]["centroid"]
    assert -0.3 < lon < -0.1 and 51.8 < lat < 52.0
    assert (await world.broker.raw("GET", "/api/geo/districts/ZZ99")).status_code == 404
    assert (await world.broker.raw("GET", "/api/geo/districts/not-a-code")).status_code == 404


async def test_postcodes_from_every_seed_council_work(world: World) -> None:
    import geo
    from tests.support import GEO_CACHE

    index = geo.PostcodeIndex.load(GEO_CACHE)
    chelmsford = index.place_at(index.district_rows("CM1")[0]).postcode
    for postcode, district in [("HR1 2AA", "HR1"), (chelmsford, "CM1"), ("SG1 1AA", "SG1"), ("RH10 1AA", "RH10"), ("BN11 1AA", "BN11")]:
        created = await world.post(postcode=postcode)
        assert created["district"] == district
