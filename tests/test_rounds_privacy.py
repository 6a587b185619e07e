"""Privacy: no provider-visible route or event locates an unawarded package more finely
than its sector (issue 17). Routes are read from the app's own route table, so a route
added later is checked too."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re

import httpx
import websockets
from starlette.routing import Route

import geo
from config import Settings
from tests.conftest import World
from tests.support import GEO_CACHE
from web.app import create_app

INDEX = geo.PostcodeIndex.load(GEO_CACHE)
SECRET_POSTCODE = "SG1 1AB"
# Fields that would place a package at its unit postcode; the sector centroid is allowed.
FINE_KEYS = {"postcode", "easting", "northing", "lat", "lon", "latitude", "longitude", "location", "summary", "reference"}


def provider_get_paths(ids: dict[str, str]) -> list[str]:
    app = create_app(Settings.from_env({"GEO_CACHE_DIR": str(GEO_CACHE)}), INDEX)
    paths = []
    for route in app.routes:
        if not isinstance(route, Route) or "GET" not in (route.methods or ()):
            continue
        # The API's description and its page describe fields; they hold no package.
        if route.path.startswith(("/static", "/dev/", "/metrics", "/healthz", "/readyz", "/api/geo", "/openapi.json",
                                  "/docs")):
            continue
        params = re.findall(r"{(\w+)(?::\w+)?}", route.path)
        if any(p not in ids for p in params):
            raise AssertionError(f"privacy test does not know how to fill {route.path}: add its parameter")
        path = route.path
        for p in params:
            path = re.sub(r"{%s(?::\w+)?}" % p, ids[p], path)
        paths.append(path)
    return paths


def leaks(text: str, unit: geo.Place) -> list[str]:
    found = []
    compact = SECRET_POSTCODE.replace(" ", "")
    for needle in (SECRET_POSTCODE, compact, SECRET_POSTCODE.lower(), "Testcase", "Example Road", "HCC-0001",
                   str(int(unit.easting)), str(int(unit.northing)), f"{unit.lat:.4f}", f"{unit.lon:.4f}"):
        if needle in text:
            found.append(needle)
    return found


def fine_keys(value: object, path: str = "", own: str = "") -> list[str]:
    """Keys that would locate something finer than a sector, skipping the provider's own
    awarded client (id `own`) and its own coverage."""
    out = []
    if isinstance(value, dict):
        if own and own in (value.get("id"), value.get("package_id")):
            return []
        value = {k: v for k, v in value.items() if k != "coverage"}
        for k, v in value.items():
            if k in FINE_KEYS and v not in (None, "", []):
                out.append(f"{path}.{k}")
            out.extend(fine_keys(v, f"{path}.{k}", own))
    elif isinstance(value, list):
        for n, v in enumerate(value):
            out.extend(fine_keys(v, f"{path}[{n}]", own))
    return out


async def test_no_provider_route_or_event_locates_an_unawarded_package_below_its_sector(world: World) -> None:
    unit = INDEX.lookup(SECRET_POSTCODE)
    sector = INDEX.sector_centroid("SG1 1")
    alpha, beta = world.users["Alpha Care"], world.users["Beta Homecare"]
    # Alpha runs a round nearby, so its views carry a round fit too.
    client = await world.post(postcode="SG1 1AF", summary="Mr Owncase, flat 2", reference="HCC-OWN")
    mine = await alpha("POST", f"/api/packages/{client['id']}/offers", {"hourly_rate": 24.0, "start_date": client["start_date"], "can_meet_needs": True}, expect=201)
    await world.broker("POST", f"/api/packages/{client['id']}/award", {"offer_id": mine["id"]}, expect=200)

    async with websockets.connect(f"{world.service.ws_url()}?token={alpha.token}") as ws:
        won_elsewhere = await world.post(postcode=SECRET_POSTCODE)
        withdrawn = await world.post(postcode=SECRET_POSTCODE)
        live = await world.post(postcode=SECRET_POSTCODE, shareable_summary="Mornings, two stairs")
        offer = await alpha("POST", f"/api/packages/{won_elsewhere['id']}/offers", {"hourly_rate": 30.0, "start_date": live["start_date"], "can_meet_needs": True}, expect=201)
        theirs = await beta("POST", f"/api/packages/{won_elsewhere['id']}/offers", {"hourly_rate": 20.0, "start_date": live["start_date"], "can_meet_needs": True}, expect=201)
        await world.broker("POST", f"/api/packages/{won_elsewhere['id']}/award", {"offer_id": theirs["id"]}, expect=200)
        await world.broker("POST", f"/api/packages/{withdrawn['id']}/withdraw", {"reason": "family care"}, expect=200)
        slot = await alpha("POST", "/api/availability", {"districts": ["SG1"], "days": ["mon"], "bands": ["morning"], "carers": 1, "valid_until": (dt.datetime.now(dt.UTC) + dt.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ")}, expect=201)
        events = []
        async with asyncio.timeout(15):
            while not {"package.matched", "offer.declined", "package.closed"} <= {e["type"] for e in events}:
                events.append(json.loads(await ws.recv()))

    for event in events:
        if event["data"].get("package_id") == client["id"] or event["data"].get("package", {}).get("id") == client["id"]:
            continue  # its own client: the full postcode is its to see
        assert not leaks(json.dumps(event), unit), event
        assert not fine_keys(event["data"], own=client["id"]), event
    assert any(e["type"] == "package.matched" and e["data"]["package"]["round_fit"] for e in events)

    area_id = (await world.broker("GET", "/api/areas", expect=200))[0]["id"]
    ids = {"area_id": area_id, "package_id": live["id"], "offer_id": offer["id"], "slot_id": slot["id"], "provider_id": world.providers["Alpha Care"]["id"],
           "user_id": alpha.user["id"], "code": "SG1", "chart": "unmet",
           "webhook_id": "whk_00000000000deadbeef", "import_id": "imp_00000000000deadbeef"}
    checked = 0
    by_bearer = httpx.AsyncClient(base_url=world.service.url(), timeout=20, headers={"Authorization": f"Bearer {alpha.token}"})
    by_cookie = httpx.AsyncClient(base_url=world.service.url(), timeout=20, cookies={"session": alpha.token})
    async with by_bearer, by_cookie:
        for package_id in (live["id"], won_elsewhere["id"], withdrawn["id"]):
            for path in provider_get_paths({**ids, "package_id": package_id}):
                for http in (by_bearer, by_cookie):
                    response = await http.get(path)
                    assert response.status_code < 500, path
                    assert not leaks(response.text, unit), (path, leaks(response.text, unit))
                    if response.headers.get("content-type", "").startswith("application/json"):
                        body = response.json()
                        assert not fine_keys(body, own=client["id"]), (path, fine_keys(body, own=client["id"]))
                        if path == "/api/provider/map":
                            assert [p["sector_centre"] for p in body["packages"]] == [[round(sector.lat, 5), round(sector.lon, 5)]]
                    checked += 1
    assert checked >= 20
    # The history (issue 14) names no other provider and shows no price but Alpha's own; a
    # package it did not win shows its sector only (the loop above checked the postcode).
    async with httpx.AsyncClient(base_url=world.service.url(), timeout=20, cookies={"session": alpha.token}) as http:
        history = (await http.get("/provider/history")).text
    assert 'data-package-id="%s"' % won_elsewhere["id"] in history
    assert "Beta Homecare" not in history and "£20.00" not in history and "Awarded elsewhere" in history
    assert "£30.00 an hour" in history  # its own offer on the package won elsewhere
    responses = await alpha("GET", "/api/team/responses?package_id=" + won_elsewhere["id"], expect=200)
    assert responses[0]["state"] == "awarded_elsewhere" and responses[0]["hourly_rate"] == 30.0
