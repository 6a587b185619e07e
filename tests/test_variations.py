"""Variations after award: each side proposes, the other decides; accepting re-issues the
purchase order as the next version; a provider's change within the flex is accepted at once."""

from __future__ import annotations

from tests.conftest import World
from tests.test_purchase_orders import award

ONE_VISIT = [{"days": ["mon", "wed", "fri"], "band": "morning", "minutes": 45, "carers": 1, "time_critical": False}]


async def test_broker_proposes_provider_accepts_and_po_version_two(world: World) -> None:
    package, _ = await award(world, 20.0, visits=ONE_VISIT, hours_per_week=2.25)
    pid = package["id"]
    alpha, beta = world.users["Alpha Care"], world.users["Beta Homecare"]
    first = await world.broker("GET", f"/api/packages/{pid}/purchase-order", expect=200)
    assert first["weekly_cost"] == 48.0  # 3 x 80 % of 20.00
    more = [*ONE_VISIT, {"days": ["tue", "thu"], "band": "bed", "minutes": 30, "carers": 2, "time_critical": False}]
    made = await world.broker("POST", f"/api/packages/{pid}/variations",
                              {"reason": "Discharge review: add bed calls", "visits": more, "effective_from": "2030-01-06"}, expect=201)
    assert made["status"] == "proposed" and made["id"]
    await world.broker("POST", f"/api/packages/{pid}/variations/{made['id']}/accept", expect=403)
    await beta("POST", f"/api/packages/{pid}/variations/{made['id']}/accept", expect=404)
    accepted = await alpha("POST", f"/api/packages/{pid}/variations/{made['id']}/accept", expect=200)
    assert accepted["status"] == "accepted" and accepted["purchase_order_version"] == 2
    await alpha("POST", f"/api/packages/{pid}/variations/{made['id']}/decline", expect=409)
    second = await alpha("GET", f"/api/packages/{pid}/purchase-order", expect=200)
    assert (second["number"], second["version"]) == (first["number"], 2)
    assert second["weekly_cost"] == 48.0 + 2 * 24.0  # two double-up 30-minute calls at 60 %
    assert second["effective_from"] == "2030-01-06"
    assert second["weekly_hours"] == 3.25
    view = await world.broker("GET", f"/api/packages/{pid}", expect=200)
    assert view["visits"] == more and view["hours_per_week"] == 3.25
    versions = await world.broker("GET", f"/api/packages/{pid}/purchase-orders", expect=200)
    assert [v["version"] for v in versions] == [1, 2]
    assert (await world.broker("GET", f"/api/packages/{pid}/purchase-order?version=1", expect=200)) == first
    # Notification receipts may land in the trail at any point: read the decisions only.
    types = [e["type"] for e in await world.broker("GET", f"/api/packages/{pid}/history", expect=200) if not e["type"].startswith("notification.")]
    assert types[-3:] == ["variation.proposed", "variation.accepted", "purchase_order.issued"]


async def test_provider_proposes_broker_declines(world: World) -> None:
    package, _ = await award(world, 20.0, visits=ONE_VISIT, hours_per_week=10)
    pid = package["id"]
    alpha = world.users["Alpha Care"]
    made = await alpha("POST", f"/api/packages/{pid}/variations", {"reason": "Needs have grown", "hours_per_week": 14, "effective_from": "2030-01-06"}, expect=201)
    assert made["status"] == "proposed" and made["auto"] is False  # 40 % is beyond the flex
    await alpha("POST", f"/api/packages/{pid}/variations/{made['id']}/decline", {"reason": "mine"}, expect=403)
    declined = await world.broker("POST", f"/api/packages/{pid}/variations/{made['id']}/decline", {"reason": "Review first"}, expect=200)
    assert declined["status"] == "declined" and declined["decline_reason"] == "Review first"
    order = await world.broker("GET", f"/api/packages/{pid}/purchase-order", expect=200)
    assert order["version"] == 1 and order["weekly_hours"] == 10
    assert (await world.broker("GET", f"/api/packages/{pid}", expect=200))["hours_per_week"] == 10
    history = await world.broker("GET", f"/api/packages/{pid}/history", expect=200)
    assert [e["type"] for e in history if not e["type"].startswith("notification.")][-2:] == ["variation.proposed", "variation.declined"]


async def test_broker_proposes_provider_declines_and_provider_proposes_broker_accepts(world: World) -> None:
    package, _ = await award(world, 20.0, visits=ONE_VISIT, hours_per_week=10)
    pid = package["id"]
    alpha = world.users["Alpha Care"]
    down = await world.broker("POST", f"/api/packages/{pid}/variations", {"reason": "Family cover weekends", "hours_per_week": 6, "effective_from": "2030-02-01"}, expect=201)
    await alpha("POST", f"/api/packages/{pid}/variations/{down['id']}/decline", {"reason": "Cannot staff the change"}, expect=200)
    up = await alpha("POST", f"/api/packages/{pid}/variations", {"reason": "Second carer needed", "hours_per_week": 15, "effective_from": "2030-02-01"}, expect=201)
    await world.broker("POST", f"/api/packages/{pid}/variations/{up['id']}/accept", expect=200)
    order = await alpha("GET", f"/api/packages/{pid}/purchase-order", expect=200)
    assert (order["version"], order["weekly_hours"]) == (2, 15)
    listed = await world.broker("GET", f"/api/packages/{pid}/variations", expect=200)
    assert [(v["proposed_by"], v["status"]) for v in listed] == [("broker", "declined"), ("provider", "accepted")]


async def test_provider_change_within_flex_is_accepted_at_once_and_brokers_told(world: World) -> None:
    package, _ = await award(world, 20.0, visits=ONE_VISIT, hours_per_week=10)
    pid = package["id"]
    alpha = world.users["Alpha Care"]
    made = await alpha("POST", f"/api/packages/{pid}/variations", {"reason": "Longer morning call", "hours_per_week": 11, "effective_from": "2030-01-06"}, expect=201)
    assert (made["status"], made["auto"], made["purchase_order_version"]) == ("accepted", True, 2)
    order = await world.broker("GET", f"/api/packages/{pid}/purchase-order", expect=200)
    assert (order["version"], order["weekly_hours"]) == (2, 11)
    history = await world.broker("GET", f"/api/packages/{pid}/history", expect=200)
    accepted = [e for e in history if e["type"] == "variation.accepted"]
    assert accepted[0]["data"]["auto"] is True and accepted[0]["actor"] == "system"
    # A broker's change within 10 % still waits for the provider: the flex is the provider's.
    brokers = await world.broker("POST", f"/api/packages/{pid}/variations", {"reason": "Tidy", "hours_per_week": 10.5, "effective_from": "2030-01-06"}, expect=201)
    assert brokers["status"] == "proposed"
    # Just beyond 10 %: waits for the broker.
    beyond = await alpha("POST", f"/api/packages/{pid}/variations", {"reason": "More", "hours_per_week": 12.2, "effective_from": "2030-01-06"}, expect=201)
    assert beyond["status"] == "proposed"


async def test_variation_needs_an_awarded_package_and_valid_fields(world: World) -> None:
    live = await world.post()
    await world.broker("POST", f"/api/packages/{live['id']}/variations", {"reason": "x", "hours_per_week": 3, "effective_from": "2030-01-01"}, expect=409)
    await world.users["Alpha Care"]("POST", f"/api/packages/{live['id']}/variations", {"reason": "x", "hours_per_week": 3, "effective_from": "2030-01-01"}, expect=404)
    package, _ = await award(world)
    bad = await world.broker("POST", f"/api/packages/{package['id']}/variations", {"reason": "x", "effective_from": "soon"}, expect=422)
    assert "effective_from" in bad["error"]["fields"]
    none = await world.broker("POST", f"/api/packages/{package['id']}/variations", {"reason": "x", "effective_from": "2030-01-01"}, expect=422)
    assert "hours_per_week" in none["error"]["fields"]
    await world.broker("POST", f"/api/packages/{package['id']}/variations", {"reason": "x", "visits": [{"days": ["mon"], "band": "noon", "minutes": 30}], "effective_from": "2030-01-01"}, expect=422)
    await world.broker("POST", f"/api/packages/{package['id']}/variations/var_nope/accept", expect=404)


async def test_variation_turnaround_in_the_report(world: World) -> None:
    package, _ = await award(world, 20.0, visits=ONE_VISIT, hours_per_week=10)
    pid = package["id"]
    alpha = world.users["Alpha Care"]
    await alpha("POST", f"/api/packages/{pid}/variations", {"reason": "flex", "hours_per_week": 10.5, "effective_from": "2030-01-06"}, expect=201)
    asked = await world.broker("POST", f"/api/packages/{pid}/variations", {"reason": "less", "hours_per_week": 8, "effective_from": "2030-01-06"}, expect=201)
    await alpha("POST", f"/api/packages/{pid}/variations/{asked['id']}/decline", {"reason": "no"}, expect=200)
    report = await world.broker("GET", "/api/reports/summary", expect=200)
    assert report["variations"] == {"proposed": 2, "accepted": 1, "auto_accepted": 1, "declined": 1}
    assert report["median_seconds_variation_turnaround"] is not None and report["median_seconds_variation_turnaround"] >= 0
