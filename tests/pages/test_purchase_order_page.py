"""The purchase order page says when the order starts (the winner's later start date) and how
its weekly cost is made: each visit line's care time and call band, the hours paid for
against the package's stated hours, and why they differ, in words."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import World
from tests.pages.conftest import Browsing
from tests.pages.test_every_page import ALPHA, BROKER, check
from tests.support import PASSWORD

EVERY_DAY = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def long_date(text: str) -> str:
    return dt.date.fromisoformat(text).strftime("%-d %B %Y")


def words(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.timeout(180)
@pytest.mark.parametrize("width", [375, 1280])
async def test_order_page_explains_its_start_and_its_hours(world: World, browsing: Browsing, width: int) -> None:
    # 14 hours stated; the visits are 6 h 45 min of care, paid as 9.2 hours (45 min at 80 %, 30 min at 60 % for two carers).
    package = await world.post(hours_per_week=14, reference="HCC-PO-1", visits=[
        {"days": EVERY_DAY, "band": "morning", "minutes": 45, "carers": 1, "time_critical": False},
        {"days": ["mon", "wed", "fri"], "band": "tea", "minutes": 30, "carers": 2, "time_critical": False}])
    pid, asked = package["id"], package["start_date"]
    later = (dt.date.fromisoformat(asked) + dt.timedelta(days=6)).isoformat()
    offer = await world.users["Alpha Care"]("POST", f"/api/packages/{pid}/offers", {"hourly_rate": 24.0, "start_date": later, "can_meet_needs": True}, expect=201)
    await world.broker("POST", f"/api/packages/{pid}/award", {"offer_id": offer["id"]}, expect=200)

    broker = await browsing.signed_in(BROKER, PASSWORD, width=width)
    await broker.goto(f"/purchase-orders/{pid}")
    assert words(await broker.locator("#effective-from").inner_text()) == (
        f"{long_date(later)} The day the provider offered to start. The package asked for care from {long_date(asked)}.")
    assert words(await broker.locator("#stated-hours").inner_text()) == "14 hours"
    assert words(await broker.locator("#visit-hours").inner_text()) == "6 hours 45 minutes a week"
    assert words(await broker.locator("#paid-hours").inner_text()) == "9.2 hours a week"
    note = words(await broker.locator("#hours-note").inner_text())
    assert "The package states 14 hours a week, but this order pays for 9.2 hours a week." in note
    assert "The visits add up to 6 hours 45 minutes of care a week, not the 14 hours stated." in note
    assert ("a 30-minute visit is paid as 36 minutes (60% of an hour) and a 45-minute visit is paid as 48 minutes (80% of an hour)") in note
    assert "A visit with two carers is paid for each carer." in note
    assert [words(t) for t in await broker.locator("table tbody tr td:first-child").all_inner_texts()] == [
        "Every day: morning, 45 min, 1 carer", "Mon, Wed, Fri: tea, 30 min, 2 carers"]
    lines = [words(t) for t in await broker.locator("#line-breakdown > li").all_inner_texts()]
    assert lines == [
        "Every day: morning, 45 min, 1 carer 7 visits × 45 min = 5 hours 15 minutes of care a week "
        "36 to 50 minute call, paid at 80% of the hourly rate: 48 minutes paid a visit, 5.6 hours a week "
        "7 × £19.20 a visit = £134.40 a week",
        "Mon, Wed, Fri: tea, 30 min, 2 carers 3 visits × 30 min = 1 hour 30 minutes of care a week "
        "21 to 35 minute call, paid at 60% of the hourly rate: 36 minutes paid a visit for each carer, 3.6 hours a week "
        "3 × £28.80 a visit = £86.40 a week",
    ]
    await check(broker, "purchase-order-explained", width)

    # The winner's package page says the same start, and that the hours paid for differ.
    winner = await browsing.signed_in(ALPHA, PASSWORD, width=width)
    await winner.goto(f"/provider/packages/{pid}")
    effective = winner.locator("#placement .govuk-summary-list__row", has_text="Effective from")
    await effective.wait_for()
    assert "(the provider's start date; the package asked for" in words(await effective.inner_text())
    paid = words(await winner.locator("#placement .govuk-summary-list__row", has_text="Hours paid for").inner_text())
    assert paid.startswith("Hours paid for 9.2 hours a week"), paid
    await check(winner, "provider-package-order-explained", width)
