"""Purchase orders: the call-duration bands checked exactly, issued on award, readable by
brokers and the awarded provider only, as JSON and CSV."""

from __future__ import annotations

from decimal import Decimal

from matcher import order_lines, unscheduled_hours, visit_cost
from tests.conftest import World

HERTS = ((20, 0.4), (35, 0.6), (50, 0.8), (60, 1.0))

PATTERN = [
    {"days": ["mon", "tue", "wed", "thu", "fri"], "band": "morning", "minutes": 15, "carers": 1, "time_critical": False},
    {"days": ["sat", "sun"], "band": "lunch", "minutes": 30, "carers": 1, "time_critical": False},
    {"days": ["mon", "wed", "fri"], "band": "tea", "minutes": 45, "carers": 2, "time_critical": False},
    {"days": ["tue", "thu"], "band": "bed", "minutes": 60, "carers": 1, "time_critical": True},
    {"days": ["sun"], "band": "morning", "minutes": 75, "carers": 2, "time_critical": False},
]


def test_band_edges_and_pro_rata() -> None:
    rate = 23.37
    assert [visit_cost(m, 1, rate, HERTS) for m in (15, 20, 21, 35, 36, 50, 51, 60, 61, 75, 90)] == [
        Decimal("9.35"), Decimal("9.35"), Decimal("14.02"), Decimal("14.02"), Decimal("18.70"), Decimal("18.70"),
        Decimal("23.37"), Decimal("23.37"), Decimal("23.76"), Decimal("29.21"), Decimal("35.06"),
    ]
    # Double-ups pay both carers.
    assert visit_cost(15, 2, rate, HERTS) == Decimal("18.70")
    assert visit_cost(75, 2, rate, HERTS) == Decimal("58.43")


def test_lines_of_a_pattern() -> None:
    lines = order_lines(PATTERN, 24.0, HERTS)
    assert [(line.visits_per_week, line.cost_per_visit, line.weekly_cost) for line in lines] == [
        (5, Decimal("9.60"), Decimal("48.00")), (2, Decimal("14.40"), Decimal("28.80")), (3, Decimal("38.40"), Decimal("115.20")),
        (2, Decimal("24.00"), Decimal("48.00")), (1, Decimal("60.00"), Decimal("60.00")),
    ]


def test_unscheduled_hours_line() -> None:
    lines = order_lines(PATTERN[:1], 24.0, HERTS)  # 5 x 15 min = 48.00 for 1.25 h
    assert unscheduled_hours(lines, 1.25, 1.25, 24.0) is None
    assert unscheduled_hours([], 30.0, 20.0, 24.0) is None  # live-in: priced by its hours already
    more = unscheduled_hours(lines, 2.58, 1.25, 24.0)
    assert more is not None and (more.hours, more.weekly_cost) == (Decimal("1.33"), Decimal("31.92"))
    # A cut takes away at most what the visits cost.
    cut = unscheduled_hours(lines, 0.5, 10.0, 24.0)
    assert cut is not None and (cut.hours, cut.weekly_cost) == (Decimal("-9.5"), Decimal("-48.00"))


async def award(world: World, rate: float = 24.0, **needs) -> tuple[dict, dict]:
    package = await world.post(**needs)
    offer = await world.users["Alpha Care"]("POST", f"/api/packages/{package['id']}/offers",
                                           {"hourly_rate": rate, "start_date": package["start_date"], "can_meet_needs": True}, expect=201)
    await world.broker("POST", f"/api/packages/{package['id']}/award", {"offer_id": offer["id"]}, expect=200)
    return package, offer


async def test_purchase_order_on_award_priced_by_call_bands(world: World) -> None:
    package, _ = await award(world, 24.0, visits=PATTERN, hours_per_week=9.0)
    pid = package["id"]
    alpha_id = world.providers["Alpha Care"]["id"]
    order = await world.broker("GET", f"/api/packages/{pid}/purchase-order", expect=200)
    assert order["number"].startswith("PO-") and order["version"] == 1
    assert (order["package_id"], order["provider_id"], order["hourly_rate"], order["weekly_hours"]) == (pid, alpha_id, 24.0, 9.0)
    assert [(line["minutes"], line["carers"], line["visits_per_week"], line["cost_per_visit"], line["weekly_cost"]) for line in order["lines"]] == [
        (15, 1, 5, 9.6, 48.0), (30, 1, 2, 14.4, 28.8), (45, 2, 3, 38.4, 115.2), (60, 1, 2, 24.0, 48.0), (75, 2, 1, 60.0, 60.0),
    ]
    assert order["lines"][0]["days"] == ["mon", "tue", "wed", "thu", "fri"] and order["lines"][0]["band"] == "morning"
    assert order["weekly_cost"] == 300.0
    assert order["issued_at"].endswith("Z")
    # The awarded provider reads the same order; other providers and unawarded packages do not exist for them.
    assert await world.users["Alpha Care"]("GET", f"/api/packages/{pid}/purchase-order", expect=200) == order
    await world.users["Beta Homecare"]("GET", f"/api/packages/{pid}/purchase-order", expect=404)
    live = await world.post()
    await world.broker("GET", f"/api/packages/{live['id']}/purchase-order", expect=404)
    csv = await world.broker.raw("GET", f"/api/packages/{pid}/purchase-order?format=csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert f"{order['number']}-v1.csv" in csv.headers["content-disposition"]
    rows = csv.text.splitlines()
    assert "weekly_cost,300.0" in rows
    assert "mon wed fri,tea,45,2,3,38.40,115.20,0.8,135,4.8" in rows  # then how it is paid (test_order_breakdown)
    history = await world.broker("GET", f"/api/packages/{pid}/history", expect=200)
    issued = [e for e in history if e["type"] == "purchase_order.issued"]
    assert [(e["data"]["number"], e["data"]["version"], e["data"]["weekly_cost"]) for e in issued] == [(order["number"], 1, 300.0)]


async def test_numbers_differ_between_packages(world: World) -> None:
    first, _ = await award(world)
    second, _ = await award(world)
    a = await world.broker("GET", f"/api/packages/{first['id']}/purchase-order", expect=200)
    b = await world.broker("GET", f"/api/packages/{second['id']}/purchase-order", expect=200)
    assert a["number"] != b["number"]
