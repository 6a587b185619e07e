"""How a purchase order's weekly cost is made (matcher.order_breakdown), beside the contract's
fields: each line's call band and paid fraction, care time and paid hours, and the order's
totals; and when the order starts (the later of the package's start date and the winning
offer's), on every version, in the CSV and in the event."""

from __future__ import annotations

import csv
import datetime as dt
import io

from matcher.order_breakdown import call_band, explain
from tests.conftest import World
from tests.test_purchase_orders import HERTS, PATTERN, award


def test_call_bands_named_as_the_price_schedule() -> None:
    assert [(b.from_minutes, b.to_minutes, b.paid_fraction) for b in (call_band(m, HERTS) for m in (15, 20, 21, 35, 36, 50, 51, 60))] == [
        (0, 20, 0.4), (0, 20, 0.4), (21, 35, 0.6), (21, 35, 0.6), (36, 50, 0.8), (36, 50, 0.8), (51, 60, 1.0), (51, 60, 1.0)]
    over = call_band(75, HERTS)
    assert (over.from_minutes, over.to_minutes, over.paid_fraction, over.to_dict()["pro_rata"]) == (61, None, 1.25, True)


def test_explain_keeps_what_an_order_was_issued_with() -> None:
    order = {"weekly_hours": 2, "lines": [{"minutes": 45, "carers": 1, "visits_per_week": 2}], "unscheduled_hours": None}
    once = explain(order, HERTS)
    assert (once["lines"][0]["paid_fraction"], once["paid_hours"], once["visit_hours"]) == (0.8, 1.6, 1.5)
    # Bands changed later do not rewrite an issued order.
    assert explain(once, ((60, 1.0),)) == once
    live_in = explain({"weekly_hours": 40.0, "lines": [], "unscheduled_hours": None}, HERTS)
    assert (live_in["visit_hours"], live_in["paid_hours"]) == (40.0, 40.0)


async def test_order_says_how_its_weekly_cost_is_made(world: World) -> None:
    package, _ = await award(world, 24.0, visits=PATTERN, hours_per_week=9.0)
    order = await world.broker("GET", f"/api/packages/{package['id']}/purchase-order", expect=200)
    # The contract's fields are as before.
    assert [(line["minutes"], line["carers"], line["visits_per_week"], line["cost_per_visit"], line["weekly_cost"]) for line in order["lines"]] == [
        (15, 1, 5, 9.6, 48.0), (30, 1, 2, 14.4, 28.8), (45, 2, 3, 38.4, 115.2), (60, 1, 2, 24.0, 48.0), (75, 2, 1, 60.0, 60.0),
    ]
    assert (order["weekly_hours"], order["weekly_cost"]) == (9.0, 300.0)
    # Beside them: band, fraction, care minutes (visits x minutes) and paid hours (x fraction x carers).
    assert [(line["call_band"]["from_minutes"], line["call_band"]["to_minutes"], line["paid_fraction"], line["care_minutes"], line["paid_hours"])
            for line in order["lines"]] == [
        (0, 20, 0.4, 75, 2.0), (21, 35, 0.6, 60, 1.2), (36, 50, 0.8, 135, 4.8), (51, 60, 1.0, 120, 2.0), (61, None, 1.25, 75, 2.5)]
    # 7.75 hours of care, paid as 12.5 hours (double-ups paid for each carer): 12.5 x £24 = £300, not the stated 9 hours.
    assert (order["visit_hours"], order["paid_hours"]) == (7.75, 12.5)
    assert order["paid_hours"] * order["hourly_rate"] == order["weekly_cost"]
    rows = list(csv.reader(io.StringIO((await world.broker.raw("GET", f"/api/packages/{package['id']}/purchase-order?format=csv")).text)))
    assert ["paid_hours", "12.5"] in rows and ["visit_hours", "7.75"] in rows
    header = rows.index(["days", "band", "minutes", "carers", "visits_per_week", "cost_per_visit", "weekly_cost",
                         "paid_fraction", "care_minutes", "paid_hours"])
    assert rows[header + 3] == ["mon wed fri", "tea", "45", "2", "3", "38.40", "115.20", "0.8", "135", "4.8"]


def _day(text: str, days: int) -> str:
    return (dt.date.fromisoformat(text) + dt.timedelta(days=days)).isoformat()


async def test_order_starts_when_the_winner_can_start(world: World) -> None:
    package = await world.post()
    pid, asked = package["id"], package["start_date"]
    later = _day(asked, 6)
    alpha = world.users["Alpha Care"]
    offer = await alpha("POST", f"/api/packages/{pid}/offers", {"hourly_rate": 22.0, "start_date": later, "can_meet_needs": True}, expect=201)
    await world.broker("POST", f"/api/packages/{pid}/award", {"offer_id": offer["id"]}, expect=200)
    order = await world.broker("GET", f"/api/packages/{pid}/purchase-order", expect=200)
    assert (order["effective_from"], order["care_start"], order["start_date"]) == (later, later, asked)
    assert await alpha("GET", f"/api/packages/{pid}/purchase-order", expect=200) == order
    rows = (await world.broker.raw("GET", f"/api/packages/{pid}/purchase-order?format=csv")).text.splitlines()
    assert f"effective_from,{later}" in rows and f"care_start,{later}" in rows
    history = await world.broker("GET", f"/api/packages/{pid}/history", expect=200)
    assert [e["data"]["effective_from"] for e in history if e["type"] == "purchase_order.issued"] == [later]

    # A change dated before care begins applies from the day it begins; the date asked is kept.
    early = await world.broker("POST", f"/api/packages/{pid}/variations", {"reason": "More time", "hours_per_week": 3, "effective_from": asked}, expect=201)
    await alpha("POST", f"/api/packages/{pid}/variations/{early['id']}/accept", expect=200)
    second = await world.broker("GET", f"/api/packages/{pid}/purchase-order", expect=200)
    assert (second["version"], second["effective_from"], second["proposed_from"], second["care_start"]) == (2, later, asked, later)
    # One dated after takes effect on its own date.
    after = _day(later, 14)
    on_time = await alpha("POST", f"/api/packages/{pid}/variations", {"reason": "Less", "hours_per_week": 2.5, "effective_from": after}, expect=201)
    await world.broker("POST", f"/api/packages/{pid}/variations/{on_time['id']}/accept", expect=200)
    third = await world.broker("GET", f"/api/packages/{pid}/purchase-order", expect=200)
    assert (third["version"], third["effective_from"], third["care_start"]) == (3, after, later)


async def test_a_sooner_offer_starts_when_the_council_asked(world: World) -> None:
    package = await world.post(start_date=_day(dt.date.today().isoformat(), 10))
    pid = package["id"]
    offer = await world.users["Alpha Care"]("POST", f"/api/packages/{pid}/offers",
                                             {"hourly_rate": 22.0, "start_date": _day(package["start_date"], -5), "can_meet_needs": True}, expect=201)
    await world.broker("POST", f"/api/packages/{pid}/award", {"offer_id": offer["id"]}, expect=200)
    order = await world.broker("GET", f"/api/packages/{pid}/purchase-order", expect=200)
    assert order["effective_from"] == order["care_start"] == package["start_date"]


def test_no_note_when_the_hours_paid_for_are_the_stated_hours() -> None:
    from web.pages.order_words import hours_minutes, hours_note

    hourly = explain({"weekly_hours": 3.0, "lines": [{"minutes": 60, "carers": 1, "visits_per_week": 3}], "unscheduled_hours": None}, HERTS)
    assert hours_note(hourly) == []
    # Stated as the visits' care time, paid by band: the note says why, not that the visits are wrong.
    banded = explain({"weekly_hours": 1.5, "lines": [{"minutes": 45, "carers": 1, "visits_per_week": 2}], "unscheduled_hours": None}, HERTS)
    assert hours_note(banded) == [
        "The package states 1.5 hours a week, but this order pays for 1.6 hours a week. The weekly cost is worked out from the visits, not from the stated hours.",
        "The council pays each visit by its call length, not by the minute: a 45-minute visit is paid as 48 minutes (80% of an hour).",
    ]
    assert [hours_minutes(h) for h in (6.75, 1, 0.25, 0)] == ["6 hours 45 minutes", "1 hour", "15 minutes", "0 minutes"]
