"""After the award (or a withdrawal) neither package page counts down a deadline: the broker
sees whom it was awarded to, at what rate, and the purchase order; the winner sees the same
of its own; a provider that lost hears only that it went to another provider."""

from __future__ import annotations

import re

import pytest

from tests.conftest import World, tomorrow
from tests.pages.test_every_page import ALPHA, BROKER, check
from tests.pages.conftest import Browsing
from tests.support import PASSWORD

BETA = "staff.3@beta-homecare.test"


async def no_countdown(page) -> None:  # type: ignore[no-untyped-def]
    assert await page.locator("time[data-deadline]").count() == 0
    assert not re.search(r"\b(min|h) left\b|Respond by|Deadline", await page.locator("#package").inner_text())


@pytest.mark.timeout(180)
@pytest.mark.parametrize("width", [375, 1280])
async def test_awarded_package_shows_the_outcome_not_the_deadline(world: World, browsing: Browsing, width: int) -> None:
    package = await world.post(urgency="amber", reference="HCC-OUT-1")
    pid = package["id"]
    alpha, beta = world.users["Alpha Care"], world.users["Beta Homecare"]
    offer = await alpha("POST", f"/api/packages/{pid}/offers", {"hourly_rate": 22.5, "start_date": tomorrow(), "can_meet_needs": True}, expect=201)
    await beta("POST", f"/api/packages/{pid}/offers", {"hourly_rate": 25, "start_date": tomorrow(), "can_meet_needs": True}, expect=201)

    broker = await browsing.signed_in(BROKER, PASSWORD, width=width)
    await broker.goto(f"/broker/packages/{pid}")
    await broker.locator("#package time[data-deadline]").wait_for()  # live: the countdown is there
    await world.broker("POST", f"/api/packages/{pid}/award", {"offer_id": offer["id"]}, expect=200)
    order = await world.broker("GET", f"/api/packages/{pid}/purchase-order", expect=200)
    outcome = broker.locator("#package .govuk-summary-list__row", has_text="Outcome")
    await outcome.wait_for(timeout=10_000)  # over /ws, no reload
    text = " ".join((await outcome.inner_text()).split())
    assert re.search(r"Awarded to Alpha Care at £22\.50 an hour on \d+ \w+", text), text
    await broker.get_by_role("link", name=f"Purchase order {order['number']}, version 1").wait_for()
    await no_countdown(broker)
    # The actions drawn while it was live go with the deadline.
    for action in ("Extend the deadline", "Withdraw the package"):
        assert not await broker.get_by_text(action).first.is_visible(), action
    await check(broker, "broker-package-outcome", width)
    await broker.get_by_role("link", name=f"Purchase order {order['number']}, version 1").click()
    await broker.wait_for_url(f"**/purchase-orders/{pid}")

    winner = await browsing.signed_in(ALPHA, PASSWORD, width=width)
    await winner.goto(f"/provider/packages/{pid}")
    mine = winner.locator("#package .govuk-summary-list__row", has_text="Outcome")
    await mine.wait_for()
    assert re.search(r"Awarded to you at £22\.50 an hour on \d+ \w+", " ".join((await mine.inner_text()).split()))
    await winner.get_by_role("link", name=f"Purchase order {order['number']}, version 1").first.wait_for()
    await no_countdown(winner)
    await check(winner, "provider-package-outcome-won", width)

    loser = await browsing.signed_in(BETA, PASSWORD, width=width)
    await loser.goto(f"/provider/packages/{pid}")
    theirs = loser.locator("#package .govuk-summary-list__row", has_text="Outcome")
    await theirs.wait_for()
    assert " ".join((await theirs.inner_text()).split()) == "Outcome Awarded to another provider."
    assert "Alpha Care" not in await loser.locator("body").inner_text() and "22.50" not in await loser.locator("body").inner_text()
    await no_countdown(loser)


async def test_withdrawn_package_shows_why_not_the_deadline(world: World, browsing: Browsing) -> None:
    package = await world.post(urgency="green", reference="HCC-OUT-2")
    await world.broker("POST", f"/api/packages/{package['id']}/withdraw", {"reason": "Family arranged care"}, expect=200)
    broker = await browsing.signed_in(BROKER, PASSWORD)
    await broker.goto(f"/broker/packages/{package['id']}")
    outcome = broker.locator("#package .govuk-summary-list__row", has_text="Outcome")
    await outcome.wait_for()
    assert re.search(r"Withdrawn on \d+ \w+.*: Family arranged care", " ".join((await outcome.inner_text()).split()))
    await no_countdown(broker)
    provider = await browsing.signed_in(ALPHA, PASSWORD)
    await provider.goto(f"/provider/packages/{package['id']}")
    await provider.locator("#package .govuk-summary-list__row", has_text="Withdrawn by the council.").wait_for()
    await no_countdown(provider)
