"""After the award, the pages read plainly: the broker sees a losing offer as "Not chosen"
(as its provider does), not "Declined", which reads as the provider turning the package
down; the winner's purchase order does not sit flush against its offer's box."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.conftest import World, tomorrow
from tests.pages.conftest import Browsing
from tests.pages.test_every_page import ALPHA, BROKER
from tests.support import PASSWORD


@pytest.mark.timeout(180)
async def test_after_award_losing_offer_is_not_chosen_and_order_stands_apart(world: World, browsing: Browsing) -> None:
    package = await world.post(urgency="amber", reference="HCC-READ-1")
    pid = package["id"]
    offer = await world.users["Alpha Care"]("POST", f"/api/packages/{pid}/offers", {"hourly_rate": 22.5, "start_date": tomorrow(), "can_meet_needs": True}, expect=201)
    await world.users["Beta Homecare"]("POST", f"/api/packages/{pid}/offers", {"hourly_rate": 25, "start_date": tomorrow(), "can_meet_needs": True}, expect=201)
    await world.broker("POST", f"/api/packages/{pid}/award", {"offer_id": offer["id"]}, expect=200)

    broker = await browsing.signed_in(BROKER, PASSWORD, width=375)
    await broker.goto(f"/broker/packages/{pid}")
    lost = broker.locator("#offers > li", has_text="Beta Homecare")
    await lost.wait_for()
    status = " ".join((await lost.locator(".govuk-summary-list__row", has_text="Status").inner_text()).split())
    assert status == "Status Not chosen", status

    winner = await browsing.signed_in(ALPHA, PASSWORD, width=375)
    await winner.goto(f"/provider/packages/{pid}")
    heading = winner.locator("#po-title")
    await heading.wait_for()
    box = await winner.locator("#my-offers-list").bounding_box()
    top = await heading.bounding_box()
    assert box and top and top["y"] - (box["y"] + box["height"]) >= 20, (box, top)


@pytest.mark.timeout(180)
async def test_awarding_from_the_page_takes_a_phone_to_the_outcome(world: World, browsing: Browsing) -> None:
    package = await world.post(urgency="amber", reference="HCC-READ-2")
    pid = package["id"]
    await world.users["Alpha Care"]("POST", f"/api/packages/{pid}/offers", {"hourly_rate": 22.5, "start_date": tomorrow(), "can_meet_needs": True}, expect=201)
    broker = await browsing.signed_in(BROKER, PASSWORD, width=375)
    await broker.goto(f"/broker/packages/{pid}")
    await broker.get_by_role("button", name="Award to Alpha Care").click()
    await broker.get_by_role("button", name="Yes, award the package").click()
    outcome = broker.locator("#package .govuk-summary-list__row", has_text="Outcome")
    await outcome.wait_for()
    await expect(broker.locator("#package-title")).to_be_focused()
    # In the phone's viewport, not scrolled past (retried: a live update may redraw the row).
    await expect(outcome).to_be_in_viewport()
