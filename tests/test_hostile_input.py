"""Hostile input found by review, one test per class: each is refused at the boundary in the
contract's shape, and nothing it could have stored breaks a later read (issue 10)."""

from __future__ import annotations

import json

import websockets

from tests.conftest import World, package_body, provider_body


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.text
    return response.json()["error"]


async def reads_still_work(world: World, package_id: str) -> None:
    """The broker's list, a package's offers and its history answer for everyone."""
    assert (await world.broker.raw("GET", "/api/packages")).status_code == 200
    for path in (f"/api/packages/{package_id}/offers", f"/api/packages/{package_id}/history"):
        assert (await world.broker.raw("GET", path)).status_code == 200, path
    alpha = world.users["Alpha Care"]
    assert (await alpha.raw("GET", "/api/packages")).status_code == 200
    assert (await alpha.raw("GET", "/api/offers")).status_code == 200


async def test_null_where_a_list_belongs_is_refused_and_matching_goes_on(world: World) -> None:
    created = await world.broker.raw("POST", "/api/providers", json=provider_body("Null Care", specialisms=None))
    assert "specialisms" in error_of(created, 422)["fields"]
    alpha = world.providers["Alpha Care"]["id"]
    for field in ("specialisms", "client_groups", "service_types", "coverage", "tiers", "name"):
        patched = await world.broker.raw("PATCH", f"/api/providers/{alpha}", json={field: None})
        assert field in error_of(patched, 422)["fields"], field
    posted = await world.broker.raw("POST", "/api/packages", json=package_body(specialisms=None))
    assert "specialisms" in error_of(posted, 422)["fields"]
    visits = await world.broker.raw("POST", "/api/packages", json=package_body(visits=None))
    assert "visits" in error_of(visits, 422)["fields"]
    # Every package in Alpha's area is still matched and readable.
    package = await world.post()
    assert package["matched"] >= 1
    await reads_still_work(world, package["id"])


async def test_lone_surrogate_escape_is_malformed_and_stores_nothing(world: World) -> None:
    package = await world.post()
    alpha = world.users["Alpha Care"]
    surrogate = b'"\\ud800"'
    attempts = [
        (alpha, "POST", f"/api/packages/{package['id']}/offers",
         b'{"hourly_rate": 20, "start_date": "2030-01-01", "can_meet_needs": true, "note": ' + surrogate + b"}"),
        (alpha, "POST", f"/api/packages/{package['id']}/decline", b'{"reason": ' + surrogate + b"}"),
        (world.broker, "POST", "/api/packages", json.dumps(package_body()).encode().replace(b'"HCC-0001"', surrogate)),
        (world.broker, "POST", "/api/areas", b'{"name": ' + surrogate + b', "districts": ["SG5"]}'),
    ]
    for client, method, path, body in attempts:
        response = await client.raw(method, path, content=body, headers={"content-type": "application/json"})
        assert error_of(response, 400)["code"] == "malformed_json", path
    # Escaped pairs are fine: a real emoji written as a surrogate pair is one character.
    pair = await world.broker.raw("POST", f"/api/packages/{package['id']}/withdraw",
                                  content=b'{"reason": "\\ud83d\\ude00 duplicate"}', headers={"content-type": "application/json"})
    assert pair.status_code == 200, pair.text
    await reads_still_work(world, package["id"])


async def test_control_characters_are_refused_in_text_but_newlines_kept(world: World) -> None:
    bad = await world.broker.raw("POST", "/api/packages", json=package_body(summary="lives alone\u0000\u001b[2J"))
    assert "summary" in error_of(bad, 422)["fields"]
    name = await world.broker.raw("POST", "/api/areas", json={"name": "Tab\tland", "districts": ["SG5"]})
    assert "name" in error_of(name, 422)["fields"]
    good = await world.broker("POST", "/api/packages", package_body(summary="Line one\nLine two\twith a tab"), expect=201)
    assert good["summary"] == "Line one\nLine two\twith a tab"


async def test_deep_nesting_is_malformed_not_a_server_error(world: World) -> None:
    deep = b"[" * 2000 + b"]" * 2000
    nested_field = b'{"postcode": ' + deep + b"}"
    for body in (deep, nested_field):
        for path in ("/api/packages", "/api/providers", "/api/auth/login"):
            response = await world.broker.raw("POST", path, content=body, headers={"content-type": "application/json"})
            assert error_of(response, 400)["code"] == "malformed_json", path


async def test_numbers_are_finite_and_sizes_bounded(world: World) -> None:
    huge = await world.broker.raw("POST", "/api/packages", content=json.dumps(package_body()).replace("10.5", "1e999"),
                                  headers={"content-type": "application/json"})
    assert "hours_per_week" in error_of(huge, 422)["fields"]
    many = await world.broker.raw("POST", "/api/providers", json=provider_body(
        "Everywhere", coverage=[{"kind": "districts", "codes": ["SG1"]}] * 101))
    assert "coverage" in error_of(many, 422)["fields"]
    long = await world.broker.raw("POST", "/api/packages", json=package_body(summary="x" * 2001))
    assert "summary" in error_of(long, 422)["fields"]


async def test_ids_that_could_address_another_key_are_not_found(world: World) -> None:
    package = await world.post()
    alpha = world.users["Alpha Care"]
    pid = package["id"]
    for client, method, path in [
        (world.broker, "GET", f"/api/packages/{pid}:offers"),
        (world.broker, "GET", f"/api/packages/{pid}:matches"),
        (world.broker, "GET", f"/api/packages/{pid}:offers/history"),
        (world.broker, "GET", f"/api/packages/{pid}:matches/offers"),
        (world.broker, "POST", f"/api/packages/{pid}:offers/withdraw"),
        (alpha, "GET", f"/api/packages/{pid}:offers"),
        (alpha, "DELETE", f"/api/packages/{pid}/offers/x:y"),
        (world.broker, "GET", "/api/providers/prv_0:users"),
        (world.admin, "POST", "/api/users/usr_0:sessions/unlock"),
    ]:
        response = await client.raw(method, path, json={"reason": "x", "offer_id": "off_0"})
        assert error_of(response, 404)["code"] == "not_found", path
    notes = await world.broker.raw("GET", "/api/notifications", params={"package_id": f"{pid}:offers"})
    assert "package_id" in error_of(notes, 422)["fields"]
    award = await world.broker.raw("POST", f"/api/packages/{pid}/award", json={"offer_id": f"{pid}:offers"})
    assert "offer_id" in error_of(award, 422)["fields"]
    # A socket client naming such an id in `seen` is ignored, and the socket stays up.
    async with websockets.connect(f"{world.service.ws_url()}?token={alpha.token}") as ws:
        await ws.send(json.dumps({"type": "seen", "package_id": f"{pid}:offers"}))
        await ws.send(json.dumps({"type": "ping"}))
        while json.loads(await ws.recv())["type"] != "pong":
            pass
    await reads_still_work(world, pid)
