"""Availability: posting, listing, deleting, validation, and what it changes in matching
(flag, notification order, listing order, packages brought at once)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any, Callable

import httpx
import websockets

from tests.conftest import World
from tests.test_realtime import read_replay
from tests.waits import WaitTimeout

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]


def in_days(n: int) -> str:
    return (dt.date.today() + dt.timedelta(days=n)).isoformat()


def slot(**overrides: Any) -> dict[str, Any]:
    body = {"districts": ["SG1"], "days": WEEKDAYS, "bands": ["morning"], "carers": 1, "valid_until": in_days(7)}
    body.update(overrides)
    return body


async def matched_order(world: World, package_id: str) -> list[tuple[str, bool]]:
    """(provider id, matched_availability) of each package.matched event, in stream order."""
    history = await world.broker("GET", f"/api/packages/{package_id}/history", expect=200)
    return [(e["data"]["provider_id"], e["data"]["package"]["matched_availability"]) for e in history if e["type"] == "package.matched"]


async def test_post_list_delete_and_who_may(world: World) -> None:
    alpha, beta = world.users["Alpha Care"], world.users["Beta Homecare"]
    alpha_id, beta_id = world.providers["Alpha Care"]["id"], world.providers["Beta Homecare"]["id"]
    made = await alpha("POST", "/api/availability", slot(districts=["sg1", "SG2"], carers=2), expect=201)
    assert made["id"] and made["provider_id"] == alpha_id and made["districts"] == ["SG1", "SG2"] and made["carers"] == 2
    other = await beta("POST", "/api/availability", slot(districts=["SG1"]), expect=201)

    assert [s["id"] for s in await alpha("GET", "/api/availability", expect=200)] == [made["id"]]
    assert [s["id"] for s in await beta("GET", "/api/availability", expect=200)] == [other["id"]]
    everyone = await world.broker("GET", "/api/availability", expect=200)
    assert {s["id"] for s in everyone} == {made["id"], other["id"]}
    sg2 = await world.broker("GET", "/api/availability?district=SG2", expect=200)
    assert [s["provider_id"] for s in sg2] == [alpha_id]
    assert {s["provider_id"] for s in await world.broker("GET", "/api/availability?district=sg1", expect=200)} == {alpha_id, beta_id}

    # Only providers post; nobody deletes another provider's slot (404, as if it did not exist).
    refused = await world.broker.raw("POST", "/api/availability", json=slot())
    assert refused.status_code == 403
    async with httpx.AsyncClient(base_url=world.service.url()) as anonymous:
        assert (await anonymous.post("/api/availability", json=slot())).status_code == 401
        assert (await anonymous.get("/api/availability")).status_code == 401
    assert (await beta.raw("DELETE", f"/api/availability/{made['id']}")).status_code == 404
    assert (await alpha.raw("DELETE", "/api/availability/avl_nosuch")).status_code == 404
    await alpha("DELETE", f"/api/availability/{made['id']}", expect=204)
    assert await alpha("GET", "/api/availability", expect=200) == []
    assert (await alpha.raw("DELETE", f"/api/availability/{made['id']}")).status_code == 404

    # The broker's feed records the posting; providers never see each other's capacity.
    history_types = [e["type"] for e in await _global_events(world)]
    assert history_types.count("availability.posted") == 2


async def test_each_bad_field_is_a_422_naming_it(world: World) -> None:
    alpha = world.users["Alpha Care"]
    past = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    cases = {
        "districts": [{"districts": []}, {"districts": ["12345"]}, {"districts": ["ZZ9"]}, {"districts": "SG1"}],
        "days": [{"days": ["funday"]}, {"days": []}],
        "bands": [{"bands": ["brunch"]}, {"bands": []}],
        "carers": [{"carers": 3}, {"carers": True}, {"carers": "1"}],
        "valid_until": [{"valid_until": past}, {"valid_until": "next week"}, {"valid_until": "2026-02-30"},
                        {"valid_until": None}, {"valid_until": in_days(800)}],
    }
    for name, bodies in cases.items():
        for override in bodies:
            response = await alpha.raw("POST", "/api/availability", json=slot(**override))
            assert response.status_code == 422, (override, response.text)
            assert name in response.json()["error"]["fields"], (override, response.text)
    bad_filter = await world.broker.raw("GET", "/api/availability?district=nonsense!")
    assert bad_filter.status_code == 422 and "district" in bad_filter.json()["error"]["fields"]
    # a datetime in the future is as good as a date
    later = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    await alpha("POST", "/api/availability", slot(valid_until=later), expect=201)


async def test_flag_needs_every_visit_day_and_band_and_enough_carers(world: World) -> None:
    alpha = world.users["Alpha Care"]
    alpha_id = world.providers["Alpha Care"]["id"]
    await alpha("POST", "/api/availability", slot(days=WEEKDAYS, bands=["morning"], carers=1), expect=201)
    morning = {"days": ["mon", "wed", "fri"], "band": "morning", "minutes": 45, "carers": 1}
    cases = [
        ([morning], True),
        ([{**morning, "days": ["mon", "sat"]}], False),  # Saturday is not declared
        ([morning, {"days": ["mon"], "band": "tea", "minutes": 30, "carers": 1}], False),  # tea is not declared
        ([{**morning, "carers": 2}], False),  # a double-up needs a two-carer slot
    ]
    for visits, expected in cases:
        package = await world.post(visits=visits)
        view = await alpha("GET", f"/api/packages/{package['id']}", expect=200)
        assert view["matched_availability"] is expected, visits
        assert dict(await matched_order(world, package["id"]))[alpha_id] is expected
    # In SG2 the slot does not apply (Alpha covers SG2, but declared only SG1).
    elsewhere = await world.post(postcode="SG2 7AA", visits=[morning])
    assert (await alpha("GET", f"/api/packages/{elsewhere['id']}", expect=200))["matched_availability"] is False
    # Slots combine: a separate tea run, and a two-carer slot, complete the fit.
    await alpha("POST", "/api/availability", slot(days=["mon"], bands=["tea"], carers=2), expect=201)
    both = await world.post(visits=[morning, {"days": ["mon"], "band": "tea", "minutes": 30, "carers": 2}])
    assert (await alpha("GET", f"/api/packages/{both['id']}", expect=200))["matched_availability"] is True


async def test_expired_availability_is_ignored(world: World) -> None:
    alpha = world.users["Alpha Care"]
    soon = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=4)  # room for a slow POST
    await alpha("POST", "/api/availability", slot(valid_until=soon.strftime("%Y-%m-%dT%H:%M:%SZ")), expect=201)
    while dt.datetime.now(dt.timezone.utc) <= soon + dt.timedelta(seconds=1):
        await asyncio.sleep(0.25)
    package = await world.post(visits=[{"days": ["mon"], "band": "morning", "minutes": 45, "carers": 1}])
    assert (await alpha("GET", f"/api/packages/{package['id']}", expect=200))["matched_availability"] is False
    assert await alpha("GET", "/api/availability", expect=200) == []
    assert await world.broker("GET", "/api/availability", expect=200) == []


async def test_available_provider_is_told_first_and_listed_first(world: World) -> None:
    ids = {name: p["id"] for name, p in world.providers.items()}
    # Without availability the order is by rating: Beta (outstanding), Alpha (good), Gamma.
    plain = await world.post()
    assert [pid for pid, _ in await matched_order(world, plain["id"])] == [ids["Beta Homecare"], ids["Alpha Care"], ids["Gamma Support"]]
    await world.users["Gamma Support"]("POST", "/api/availability", slot(), expect=201)
    async with websockets.connect(f"{world.service.ws_url()}?token={world.broker.token}") as ws:
        package = await world.post()
        events = await collect_until(ws, lambda got: sum(e["type"] == "package.matched" for e in got) >= 3)
    told = [e["data"]["provider_id"] for e in events if e["type"] == "package.matched" and e["data"]["package"]["id"] == package["id"]]
    assert told == [ids["Gamma Support"], ids["Beta Homecare"], ids["Alpha Care"]]
    assert await matched_order(world, package["id"]) == [
        (ids["Gamma Support"], True), (ids["Beta Homecare"], False), (ids["Alpha Care"], False)]
    listed = await world.broker("GET", f"/api/packages/{package['id']}/matches", expect=200)
    assert [m["provider_id"] for m in listed] == told and listed[0]["matched_availability"] is True
    # On Gamma's own board the fitting package comes before an otherwise equal one.
    board = await world.users["Gamma Support"]("GET", "/api/packages", expect=200)
    assert [p["id"] for p in board][:2] == [package["id"], plain["id"]]


async def test_posting_availability_brings_fitting_live_packages_at_once(world: World) -> None:
    fits = await world.post(urgency="green")
    other_district = await world.post(postcode="SG2 7AA")
    weekend = await world.post(visits=[{"days": ["sat"], "band": "morning", "minutes": 45, "carers": 1}])
    closed = await world.post()
    await world.broker("POST", f"/api/packages/{closed['id']}/withdraw", {"reason": "family arranged care"}, expect=200)
    alpha = world.users["Alpha Care"]
    async with websockets.connect(f"{world.service.ws_url()}?token={alpha.token}") as ws:
        made = await alpha("POST", "/api/availability", slot(), expect=201)
        events = await collect_until(ws, lambda got: len(got) >= 1)
        # Nothing else: one message, not one per package. A package posted after it reaches
        # the socket after anything the availability brought.
        marker = await world.post()
        after = await collect_until(ws, lambda got: got[-1:] and got[-1]["type"] == "package.matched")
        assert [(e["type"], e["data"]["package"]["id"]) for e in after] == [("package.matched", marker["id"])]
    assert made["packages"] == [fits["id"]]
    assert [(e["type"], e["data"]["package"]["id"], e["data"]["package"]["matched_availability"]) for e in events] == [
        ("package.matched", fits["id"], True)]
    assert (await alpha("GET", f"/api/packages/{fits['id']}", expect=200))["matched_availability"] is True
    for package in (other_district, weekend):
        assert (await alpha("GET", f"/api/packages/{package['id']}", expect=200))["matched_availability"] is False
    # Posting a second slot that also fits does not repeat the message.
    again = await alpha("POST", "/api/availability", slot(bands=["morning", "lunch"]), expect=201)
    assert again["packages"] == []


async def test_provider_eligible_but_not_matched_gets_the_package_when_it_posts(world: World) -> None:
    """A provider that started covering SG1 after the package was posted: its availability
    brings the package (its tier is released under RELEASE=all)."""
    package = await world.post()
    late = await world.add_provider("Late Care", coverage=[{"kind": "districts", "codes": ["SG1"]}], tiers={})
    assert (await late.raw("GET", f"/api/packages/{package['id']}")).status_code == 404
    made = await late("POST", "/api/availability", slot(), expect=201)
    assert made["packages"] == [package["id"]]
    assert (await late("GET", f"/api/packages/{package['id']}", expect=200))["matched_availability"] is True
    assert (await world.broker("GET", f"/api/packages/{package['id']}", expect=200))["matched"] == 4
    # it may now offer like anyone matched
    await late("POST", f"/api/packages/{package['id']}/offers", {"hourly_rate": 23, "start_date": package["start_date"], "can_meet_needs": True}, expect=201)


async def _global_events(world: World) -> list[dict]:
    async with websockets.connect(f"{world.service.ws_url()}?token={world.broker.token}&after=0") as ws:
        return await read_replay(ws)


async def collect_until(ws: Any, done: Callable[[list[dict]], bool], timeout: float = 20) -> list[dict]:
    got: list[dict] = []
    try:
        async with asyncio.timeout(timeout):
            while not done(got):
                got.append(json.loads(await ws.recv()))
    except TimeoutError:
        raise WaitTimeout(f"socket: the awaited messages did not arrive within {timeout:g}s; got {[m.get('type') for m in got]}") from None
    return got
