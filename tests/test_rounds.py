"""Round fit: a package measured against the rounds a provider already runs (issue 17)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import numpy as np
import pyproj
import websockets
from pyproj import Geod

import geo
from tests.conftest import World, package_body
from tests.support import GEO_CACHE

GEOD = Geod(ellps="WGS84")
SPEED_KMH = 25.0  # the default ROUND_SPEED_KMH
TO_WGS84 = pyproj.Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
INDEX = geo.PostcodeIndex.load(GEO_CACHE)


def sector_centroid(sector: str) -> tuple[float, float]:
    """Mean grid position of the sector's postcodes, as (lon, lat): computed here from the raw rows."""
    district = sector.split()[0]
    places = [INDEX.place_at(i) for i in INDEX.district_rows(district)]
    inside = [p for p in places if p.sector == sector]
    lon, lat = TO_WGS84.transform(np.mean([p.easting for p in inside]), np.mean([p.northing for p in inside]))
    return lon, lat


def expected(sector: str, lon: float, lat: float, band: str, days: list[str]) -> dict:
    clon, clat = sector_centroid(sector)
    km = round(GEOD.inv(clon, clat, lon, lat)[2] / 1000, 1)
    return {"km": km, "drive_minutes": round(km / SPEED_KMH * 60), "band": band, "days": days, "source": "client"}


def visit(days: list[str], band: str) -> dict:
    return {"days": days, "band": band, "minutes": 30, "carers": 1, "time_critical": False}


async def award_to(world: World, name: str, postcode: str, visits: list[dict]) -> dict:
    created = await world.post(postcode=postcode, visits=visits)
    user = world.users[name]
    offer = await user("POST", f"/api/packages/{created['id']}/offers", {"hourly_rate": 24.0, "start_date": created["start_date"], "can_meet_needs": True}, expect=201)
    await world.broker("POST", f"/api/packages/{created['id']}/award", {"offer_id": offer["id"]}, expect=200)
    return created


async def matched_event(ws, package_id: str) -> dict:
    async with asyncio.timeout(10):
        while True:
            message = json.loads(await ws.recv())
            if message["type"] == "package.matched" and message["data"]["package"]["id"] == package_id:
                return message["data"]["package"]


async def test_round_fit_figures_for_three_clients_in_different_bands(world: World) -> None:
    await world.add_provider("Rounds Ltd", tiers={"Stevenage": "primary"})
    rounds = world.users["Rounds Ltd"]
    morning = INDEX.lookup("SG1 1AB")   # Mon-Fri mornings
    tea = INDEX.lookup("SG2 9YJ")       # weekend teas
    bed = INDEX.lookup("SG1 9RU")       # Mon and Wed beds
    await award_to(world, "Rounds Ltd", morning.postcode, [visit(["mon", "tue", "wed", "thu", "fri"], "morning")])
    await award_to(world, "Rounds Ltd", tea.postcode, [visit(["sat", "sun"], "tea")])
    await award_to(world, "Rounds Ltd", bed.postcode, [visit(["mon", "wed"], "bed")])
    handed = await award_to(world, "Rounds Ltd", "SG2 0AA", [visit(["tue"], "lunch")])
    # A client handed back is no longer on a round.
    await rounds("POST", f"/api/packages/{handed['id']}/hand-back", {"reason": "no carers"}, expect=201)

    async with websockets.connect(f"{world.service.ws_url()}?token={rounds.token}") as ws:
        # Morning (Mon, Sat) and bed (Wed) in SG1 1: the morning client in SG1 1 is the nearer.
        near = await world.post(postcode="SG1 1AF", visits=[visit(["mon", "sat"], "morning"), visit(["wed"], "bed")])
        event_view = await matched_event(ws, near["id"])
        # Tea on Sun and Mon in SG2 9: only the weekend tea client shares it, on Sunday.
        weekend = await world.post(postcode="SG2 9YL", visits=[visit(["sun", "mon"], "tea")])
        # Bed on Wednesday only, in SG1 1: the bed client, far across SG1.
        bedtime = await world.post(postcode="SG1 1AA", visits=[visit(["wed", "thu"], "bed")])
        # Lunch on Tuesday: the handed-back client does not count, nobody else runs lunch.
        lunch = await world.post(postcode="SG2 0AB", visits=[visit(["tue"], "lunch")])
        events = {p: await matched_event(ws, p) for p in (weekend["id"], bedtime["id"], lunch["id"])}

    want = {
        near["id"]: expected("SG1 1", morning.lon, morning.lat, "morning", ["mon"]),
        weekend["id"]: expected("SG2 9", tea.lon, tea.lat, "tea", ["sun"]),
        bedtime["id"]: expected("SG1 1", bed.lon, bed.lat, "bed", ["wed"]),
        lunch["id"]: None,
    }
    assert want[near["id"]]["km"] < 2 and want[bedtime["id"]]["km"] > want[near["id"]]["km"]
    events[near["id"]] = event_view
    for package_id, fit in want.items():
        assert events[package_id]["round_fit"] == fit, package_id
        view = await rounds("GET", f"/api/packages/{package_id}", expect=200)
        assert view["round_fit"] == fit, package_id
    listed = {p["id"]: p for p in await rounds("GET", "/api/packages", expect=200)}
    for package_id, fit in want.items():
        assert listed[package_id]["round_fit"] == fit
    # Awarded clients are seen in full: no round fit on them.
    assert all(p["round_fit"] is None for p in listed.values() if p["status"] == "awarded")

    # A provider with no current clients has no fit.
    alpha_view = await world.users["Alpha Care"]("GET", f"/api/packages/{near['id']}", expect=200)
    assert alpha_view["round_fit"] is None

    # Availability counts as a round: a Tuesday lunch run declared in SG2 (its centre).
    until = (dt.datetime.now(dt.UTC) + dt.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ")
    await rounds("POST", "/api/availability", {"districts": ["SG2"], "days": ["tue"], "bands": ["lunch"], "carers": 1, "valid_until": until}, expect=201)
    e, n = INDEX.district_centroid("SG2")
    lon, lat = TO_WGS84.transform(e, n)
    fit = expected("SG2 0", lon, lat, "lunch", ["tue"]) | {"source": "availability"}
    assert (await rounds("GET", f"/api/packages/{lunch['id']}", expect=200))["round_fit"] == fit

    # Brokers see each offer's round fit beside its unchanged score.
    await rounds("POST", f"/api/packages/{near['id']}/offers", {"hourly_rate": 25.0, "start_date": near["start_date"], "can_meet_needs": True}, expect=201)
    offers = await world.broker("GET", f"/api/packages/{near['id']}/offers", expect=200)
    assert offers[0]["round_fit"] == want[near["id"]]
    assert offers[0]["score"] == 65.0  # 0.6 x good (75) + 0.4 x price at £25 (50): unchanged by fit


async def wait_status(world: World, package_id: str, status: str, timeout: float = 30) -> None:
    async with asyncio.timeout(timeout):
        while (await world.broker("GET", f"/api/packages/{package_id}", expect=200))["status"] != status:
            await asyncio.sleep(0.2)


async def test_provider_map_and_demand(world: World) -> None:
    alpha = world.users["Alpha Care"]
    client = await award_to(world, "Alpha Care", "SG1 1AB", [visit(["mon"], "morning")])
    live = await world.post(postcode="SG2 9YL", visits=[visit(["mon"], "morning")])
    nobody = await world.post(postcode="SG1 9RU", urgency="red", visits=[visit(["tue"], "tea")])
    await wait_status(world, nobody["id"], "unplaced")

    drawn = await alpha("GET", "/api/provider/map", expect=200)
    centre = INDEX.sector_centroid("SG2 9")
    assert [(p["id"], p["sector"], p["sector_centre"]) for p in drawn["packages"]] == [(live["id"], "SG2 9", [round(centre.lat, 5), round(centre.lon, 5)])]
    assert drawn["packages"][0]["round_fit"]["band"] == "morning"
    own = INDEX.lookup("SG1 1AB")
    assert drawn["clients"] == [{"id": client["id"], "postcode": "SG1 1AB", "district": "SG1", "visits": [visit(["mon"], "morning")],
                                 "location": [round(own.lat, 6), round(own.lon, 6)]}]
    assert drawn["coverage"] == [{"kind": "districts", "codes": ["SG1", "SG2"]}]

    demand = await alpha("GET", "/api/provider/demand", expect=200)
    rows = {(r["district"], r["band"]): r for r in demand["rows"]}
    assert rows[("SG1", "tea")]["unplaced"] == 1 and rows[("SG1", "tea")]["placed"] == 0
    assert rows[("SG1", "morning")]["unplaced"] == 0 and rows[("SG1", "morning")]["placed"] == 1
    assert set(rows) == {("SG1", "tea"), ("SG1", "morning")}
    assert "provider" not in json.dumps(demand)
    # A provider covering elsewhere learns nothing of Stevenage.
    far = await world.add_provider("Hereford Care", coverage=[{"kind": "districts", "codes": ["HR1"]}], tiers={})
    assert (await far("GET", "/api/provider/demand", expect=200))["rows"] == []
    assert (await world.broker.raw("GET", "/api/provider/map")).status_code == 403
