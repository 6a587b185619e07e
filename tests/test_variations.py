"""Variations after award: each side proposes, the other decides; accepting re-issues the
purchase order as the next version. Where the council sets VARIATION_FLEX (off by default,
as the contract has the other side decide every variation), a provider's change within the
flex is accepted at once."""

from __future__ import annotations

from typing import AsyncIterator, Iterator

import pytest

from tests.conftest import SERVICE_ENV, World, emptied, world_on
from tests.support import RedisServer, Service
from web.outputs import ProposedVariation, PurchaseOrderOut, VariationOut
from tests.test_purchase_orders import award

ONE_VISIT = [{"days": ["mon", "wed", "fri"], "band": "morning", "minutes": 45, "carers": 1, "time_critical": False}]
FLEX_DB = 4


@pytest.fixture(scope="module")
def flex_service(redis_server: RedisServer) -> Iterator[Service]:
    svc = Service(redis_server.url(FLEX_DB), env={**SERVICE_ENV, "VARIATION_FLEX": "0.1"}).start()
    yield svc
    svc.stop()


@pytest.fixture
def flex_clean(flex_service: Service) -> Service:
    return emptied(flex_service)


@pytest.fixture
async def flex_world(flex_clean: Service) -> AsyncIterator[World]:
    """The default world on a service with Hertfordshire's 10 % flex."""
    async with world_on(flex_clean) as w:
        yield w


async def test_a_providers_small_change_waits_for_the_broker_who_may_decline_it(world: World) -> None:
    """The contract: a variation is proposed, and the other side accepts or declines it (200);
    only accepting issues the next purchase order version. No flex by default."""
    package, _ = await award(world, 20.0, visits=ONE_VISIT, hours_per_week=10.5)
    pid = package["id"]
    alpha = world.users["Alpha Care"]
    made = await alpha("POST", f"/api/packages/{pid}/variations", {"reason": "Longer morning call", "hours_per_week": 11, "effective_from": "2030-01-06"}, expect=201)
    assert made["status"] == "proposed" and made["accepted_automatically"] is False
    listed = await world.broker("GET", f"/api/packages/{pid}/variations", expect=200)
    assert [(v["id"], v["status"]) for v in listed] == [(made["id"], "proposed")]
    assert (await world.broker("GET", f"/api/packages/{pid}/purchase-order", expect=200))["version"] == 1
    declined = await world.broker("POST", f"/api/packages/{pid}/variations/{made['id']}/decline", {"reason": "Not agreed"}, expect=200)
    assert declined["status"] == "declined"
    assert (await world.broker("GET", f"/api/packages/{pid}", expect=200))["hours_per_week"] == 10.5
    assert [o["version"] for o in await world.broker("GET", f"/api/packages/{pid}/purchase-orders", expect=200)] == [1]
    # The other side accepting a second small change: the needs change and version 2 is issued.
    again = await alpha("POST", f"/api/packages/{pid}/variations", {"reason": "Longer calls", "hours_per_week": 11, "effective_from": "2030-01-06"}, expect=201)
    accepted = await world.broker("POST", f"/api/packages/{pid}/variations/{again['id']}/accept", expect=200)
    assert (accepted["status"], accepted["purchase_order_version"]) == ("accepted", 2)
    assert (await world.broker("GET", f"/api/packages/{pid}/purchase-order", expect=200))["weekly_hours"] == 11


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
    assert made["status"] == "proposed" and made["auto"] is False and made["accepted_automatically"] is False  # 40 % is beyond the flex
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
    # Accepting twice is one decision; a declined one cannot be accepted afterwards.
    again = await world.broker("POST", f"/api/packages/{pid}/variations/{up['id']}/accept", expect=200)
    assert (again["status"], again["purchase_order_version"]) == ("accepted", 2)
    await alpha("POST", f"/api/packages/{pid}/variations/{down['id']}/accept", expect=409)
    assert len(await alpha("GET", f"/api/packages/{pid}/purchase-orders", expect=200)) == 2


async def test_hours_only_variations_are_priced_as_a_line_at_the_hourly_rate(world: World) -> None:
    """The visit pattern (3 x 45 min at 80 % of 20.00 = 48.00 for 2.25 hours) keeps its lines;
    hours changed without visits are one line at the hourly rate, carried until visits are restated."""
    package, _ = await award(world, 20.0, visits=ONE_VISIT, hours_per_week=2.25)
    pid = package["id"]
    alpha = world.users["Alpha Care"]
    first = await alpha("GET", f"/api/packages/{pid}/purchase-order", expect=200)
    assert (first["weekly_cost"], first["unscheduled_hours"], first["pattern_hours"]) == (48.0, None, 2.25)
    # The provider adds 0.2 h and the broker accepts: +0.2 h x 20.00 = +4.00.
    longer = await alpha("POST", f"/api/packages/{pid}/variations", {"reason": "Longer calls", "hours_per_week": 2.45, "effective_from": "2030-01-06"}, expect=201)
    await world.broker("POST", f"/api/packages/{pid}/variations/{longer['id']}/accept", expect=200)
    second = await alpha("GET", f"/api/packages/{pid}/purchase-order", expect=200)
    assert second["version"] == 2 and second["lines"] == first["lines"]
    assert second["unscheduled_hours"] == {"hours": 0.2, "hourly_rate": 20.0, "weekly_cost": 4.0}
    assert (second["weekly_hours"], second["weekly_cost"], second["pattern_hours"]) == (2.45, 52.0, 2.25)
    # The broker adds 3.5 hours a week: 3.7 h over the pattern, 74.00.
    up = await world.broker("POST", f"/api/packages/{pid}/variations", {"reason": "Sitting service", "hours_per_week": 5.95, "effective_from": "2030-02-01"}, expect=201)
    await alpha("POST", f"/api/packages/{pid}/variations/{up['id']}/accept", expect=200)
    third = await world.broker("GET", f"/api/packages/{pid}/purchase-order", expect=200)
    assert third["unscheduled_hours"] == {"hours": 3.7, "hourly_rate": 20.0, "weekly_cost": 74.0}
    assert (third["version"], third["weekly_hours"], third["weekly_cost"]) == (3, 5.95, 122.0)
    # A cut below the pattern: -0.75 h is -15.00.
    down = await world.broker("POST", f"/api/packages/{pid}/variations", {"reason": "Family cover", "hours_per_week": 1.5, "effective_from": "2030-03-01"}, expect=201)
    await alpha("POST", f"/api/packages/{pid}/variations/{down['id']}/accept", expect=200)
    fourth = await world.broker("GET", f"/api/packages/{pid}/purchase-order", expect=200)
    assert fourth["unscheduled_hours"] == {"hours": -0.75, "hourly_rate": 20.0, "weekly_cost": -15.0}
    assert (fourth["version"], fourth["weekly_cost"]) == (4, 33.0)
    csv = (await world.broker.raw("GET", f"/api/packages/{pid}/purchase-order?format=csv")).text
    assert "hours not in the visit pattern,,-0.75 h,,,20.00,-15.00" in csv
    # Visits restated: the pattern is the whole week again, no extra line.
    two = [*ONE_VISIT, {"days": ["sat"], "band": "lunch", "minutes": 30, "carers": 1, "time_critical": False}]
    restate = await world.broker("POST", f"/api/packages/{pid}/variations", {"reason": "Review", "visits": two, "effective_from": "2030-04-01"}, expect=201)
    await alpha("POST", f"/api/packages/{pid}/variations/{restate['id']}/accept", expect=200)
    fifth = await world.broker("GET", f"/api/packages/{pid}/purchase-order", expect=200)
    assert (fifth["version"], fifth["weekly_hours"], fifth["weekly_cost"], fifth["unscheduled_hours"]) == (5, 2.75, 60.0, None)
    for order in (first, second, fourth, fifth):
        PurchaseOrderOut.model_validate(order)
    issued = [e["data"] for e in await world.broker("GET", f"/api/packages/{pid}/history", expect=200) if e["type"] == "purchase_order.issued"]
    assert [d["weekly_cost"] for d in issued] == [48.0, 52.0, 122.0, 33.0, 60.0]


async def test_provider_change_within_flex_is_accepted_at_once_and_brokers_told(flex_world: World) -> None:
    world = flex_world
    package, _ = await award(world, 20.0, visits=ONE_VISIT, hours_per_week=10)
    pid = package["id"]
    alpha = world.users["Alpha Care"]
    made = await alpha("POST", f"/api/packages/{pid}/variations", {"reason": "Longer morning call", "hours_per_week": 11, "effective_from": "2030-01-06"}, expect=201)
    # The answer is the contract's (a proposal was made); the flex rule's decision is beside it.
    assert (made["status"], made["accepted_automatically"], made["auto"], made["purchase_order_version"]) == ("proposed", True, True, 2)
    listed = await world.broker("GET", f"/api/packages/{pid}/variations", expect=200)
    ProposedVariation.model_validate(made)  # the answer is what /openapi.json says
    [VariationOut.model_validate(v) for v in listed]
    assert [(v["id"], v["status"], v["auto"]) for v in listed] == [(made["id"], "accepted", True)]
    order = await world.broker("GET", f"/api/packages/{pid}/purchase-order", expect=200)
    assert (order["version"], order["weekly_hours"]) == (2, 11)
    # A broker (or a client that does not know the flex rule) accepting it: 200, nothing new.
    again = await world.broker("POST", f"/api/packages/{pid}/variations/{made['id']}/accept", expect=200)
    assert (again["id"], again["status"], again["purchase_order_version"]) == (made["id"], "accepted", 2)
    await world.broker("POST", f"/api/packages/{pid}/variations/{made['id']}/decline", {"reason": "late"}, expect=409)
    await alpha("POST", f"/api/packages/{pid}/variations/{made['id']}/accept", expect=403)  # still the other side's decision
    assert [o["version"] for o in await world.broker("GET", f"/api/packages/{pid}/purchase-orders", expect=200)] == [1, 2]
    history = await world.broker("GET", f"/api/packages/{pid}/history", expect=200)
    accepted = [e for e in history if e["type"] == "variation.accepted"]
    assert len(accepted) == 1 and len([e for e in history if e["type"] == "purchase_order.issued"]) == 2
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


async def test_variation_turnaround_in_the_report(flex_world: World) -> None:
    world = flex_world
    package, _ = await award(world, 20.0, visits=ONE_VISIT, hours_per_week=10)
    pid = package["id"]
    alpha = world.users["Alpha Care"]
    await alpha("POST", f"/api/packages/{pid}/variations", {"reason": "flex", "hours_per_week": 10.5, "effective_from": "2030-01-06"}, expect=201)
    asked = await world.broker("POST", f"/api/packages/{pid}/variations", {"reason": "less", "hours_per_week": 8, "effective_from": "2030-01-06"}, expect=201)
    await alpha("POST", f"/api/packages/{pid}/variations/{asked['id']}/decline", {"reason": "no"}, expect=200)
    report = await world.broker("GET", "/api/reports/summary", expect=200)
    assert report["variations"] == {"proposed": 2, "accepted": 1, "auto_accepted": 1, "declined": 1}
    assert report["median_seconds_variation_turnaround"] is not None and report["median_seconds_variation_turnaround"] >= 0
