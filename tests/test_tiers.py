"""RELEASE=tiered: primary at posting, then secondary, then reserve (untiered providers
count as reserve) as each window ends without offers, then unplaced; an offer stops the
cascade; a provider released later sees nothing of the package before its wave."""

from __future__ import annotations

import websockets

from tests.conftest import World
from tests.test_availability import slot
from tests.test_realtime import read_replay
from tests.tiered import tiered, tiered_clean, tiered_service, wait_package  # noqa: F401 (fixtures)


async def history(world: World, package_id: str) -> list[dict]:
    return await world.broker("GET", f"/api/packages/{package_id}/history", expect=200)


async def status_for(world: World, name: str, package_id: str) -> int:
    return (await world.users[name].raw("GET", f"/api/packages/{package_id}")).status_code


async def board(world: World, name: str) -> list[str]:
    return [p["id"] for p in await world.users[name]("GET", "/api/packages", expect=200)]


async def test_waves_release_secondary_then_reserve_then_unplaced(tiered: World) -> None:
    w = tiered
    ids = {name: p["id"] for name, p in w.providers.items()}
    # Gamma (untiered, so reserve) has availability that fits: it still waits for its wave.
    await w.users["Gamma Support"]("POST", "/api/availability", slot(), expect=201)
    package = await w.post(urgency="red")
    pid = package["id"]
    assert package["matched"] == 1
    assert await status_for(w, "Alpha Care", pid) == 200
    assert await status_for(w, "Beta Homecare", pid) == 404 and await board(w, "Beta Homecare") == []
    assert await status_for(w, "Gamma Support", pid) == 404 and await board(w, "Gamma Support") == []
    offer = await w.users["Beta Homecare"].raw("POST", f"/api/packages/{pid}/offers", json={"hourly_rate": 22, "start_date": package["start_date"], "can_meet_needs": True})
    assert offer.status_code == 404
    first = await w.broker("GET", f"/api/packages/{pid}", expect=200)
    assert first["wave"] == 1 and first["released_tiers"] == ["primary"], "the checks above must fall in wave 1"

    second = await wait_package(w, pid, lambda p: p["wave"] >= 2)
    assert await status_for(w, "Beta Homecare", pid) == 200 and await board(w, "Beta Homecare") == [pid]
    assert await status_for(w, "Gamma Support", pid) == 404
    assert (await w.broker("GET", f"/api/packages/{pid}", expect=200))["wave"] == 2, "the checks above must fall in wave 2"
    assert second["deadline"] > first["deadline"] and second["released_tiers"] == ["primary", "secondary"]

    third = await wait_package(w, pid, lambda p: p["wave"] >= 3)
    gamma_view = await w.users["Gamma Support"]("GET", f"/api/packages/{pid}", expect=200)
    assert gamma_view["matched_availability"] is True
    assert third["released_tiers"] == ["primary", "secondary", "reserve"]

    final = await wait_package(w, pid, lambda p: p["status"] != "live")
    assert final["status"] == "unplaced" and final["matched"] == 3
    # Notifications and reminders (tested on their own) interleave; the lifecycle is this:
    trail = [e for e in await history(w, pid) if not e["type"].startswith(("notification.", "deadline.reminder"))]
    assert [e["type"] for e in trail] == [
        "package.posted", "package.matched", "package.wave_released", "package.matched",
        "package.wave_released", "package.matched", "package.unplaced", "package.closed",
    ]
    assert trail[0]["data"]["provider_ids"] == [ids["Alpha Care"]]
    releases = [e["data"] for e in trail if e["type"] == "package.wave_released"]
    assert [(r["wave"], r["tier"], r["provider_ids"]) for r in releases] == [
        (2, "secondary", [ids["Beta Homecare"]]), (3, "reserve", [ids["Gamma Support"]])]
    matched = [(e["data"]["provider_id"], e["data"]["package"]["wave"]) for e in trail if e["type"] == "package.matched"]
    assert matched == [(ids["Alpha Care"], 1), (ids["Beta Homecare"], 2), (ids["Gamma Support"], 3)]

    # Beta's feed, replayed from the very start, begins at its own wave.
    async with websockets.connect(f"{w.service.ws_url()}?token={w.users['Beta Homecare'].token}&after=0") as ws:
        seen = [e for e in await read_replay(ws) if e["type"] != "deadline.reminder"
                and (e["data"].get("package_id") == pid or e["data"].get("package", {}).get("id") == pid)]
    assert [(e["type"], e["data"].get("package", {}).get("wave")) for e in seen] == [("package.matched", 2), ("package.closed", None)]


async def test_an_offer_in_any_window_stops_the_cascade(tiered: World) -> None:
    w = tiered
    in_first = await w.post(urgency="red")
    in_second = await w.post(urgency="red")
    await w.users["Alpha Care"]("POST", f"/api/packages/{in_first['id']}/offers", {"hourly_rate": 22, "start_date": in_first["start_date"], "can_meet_needs": True}, expect=201)
    await wait_package(w, in_second["id"], lambda p: p["wave"] >= 2)
    await w.users["Beta Homecare"]("POST", f"/api/packages/{in_second['id']}/offers", {"hourly_rate": 25, "start_date": in_second["start_date"], "can_meet_needs": True}, expect=201)
    for package, waves in ((in_first, 1), (in_second, 2)):
        final = await wait_package(w, package["id"], lambda p: p["status"] != "live")
        assert final["status"] == "awaiting_award" and final["wave"] == waves
        types = [e["type"] for e in await history(w, package["id"])]
        assert types.count("package.wave_released") == waves - 1 and "package.unplaced" not in types
        assert await status_for(w, "Gamma Support", package["id"]) == 404  # reserve never released


async def test_an_empty_tier_is_skipped_rather_than_waited_for(tiered: World) -> None:
    w = tiered
    ids = {name: p["id"] for name, p in w.providers.items()}
    # Beta (the only secondary) does not cover SG2: after primary comes reserve.
    sg2 = await w.post(urgency="red", postcode="SG2 7AA")
    released = await wait_package(w, sg2["id"], lambda p: p["wave"] >= 2)
    assert released["released_tiers"] == ["primary", "secondary", "reserve"]
    event = next(e for e in await history(w, sg2["id"]) if e["type"] == "package.wave_released")
    assert event["data"]["tier"] == "reserve" and event["data"]["provider_ids"] == [ids["Gamma Support"]]
    # With the only primary suspended, posting goes straight to secondary.
    await w.broker("PATCH", f"/api/providers/{ids['Alpha Care']}", {"status": "suspended"}, expect=200)
    no_primary = await w.post(urgency="amber")
    assert no_primary["matched"] == 1 and no_primary["released_tiers"] == ["primary", "secondary"]
    assert await status_for(w, "Beta Homecare", no_primary["id"]) == 200
    assert await status_for(w, "Gamma Support", no_primary["id"]) == 404


async def test_posting_availability_does_not_jump_the_tiers(tiered: World) -> None:
    w = tiered
    package = await w.post(urgency="amber")  # a day-long window: wave 1 for the whole test
    gamma = await w.users["Gamma Support"]("POST", "/api/availability", slot(), expect=201)
    assert gamma["packages"] == [] and await status_for(w, "Gamma Support", package["id"]) == 404
    alpha = await w.users["Alpha Care"]("POST", "/api/availability", slot(), expect=201)
    assert alpha["packages"] == [package["id"]]
    assert (await w.users["Alpha Care"]("GET", f"/api/packages/{package['id']}", expect=200))["matched_availability"] is True
    assert (await w.broker("GET", f"/api/packages/{package['id']}", expect=200))["matched"] == 1
