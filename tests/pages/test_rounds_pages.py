"""Issue 17 pages: the board sorted by round fit, the provider map, and the broker's
offers with their round fit, at 375 and 1280 px with axe-core."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.conftest import World
from tests.pages.conftest import Browsing
from tests.pages.test_every_page import ALPHA, BROKER, check
from tests.support import PASSWORD


def visit(days: list[str], band: str) -> dict:
    return {"days": days, "band": band, "minutes": 30, "carers": 1, "time_critical": False}


async def rounds_world(world: World) -> dict[str, str]:
    alpha = world.users["Alpha Care"]
    client = await world.post(postcode="SG1 1AB", visits=[visit(["mon", "tue", "wed", "thu", "fri"], "morning")])
    mine = await alpha("POST", f"/api/packages/{client['id']}/offers", {"hourly_rate": 24.0, "start_date": client["start_date"], "can_meet_needs": True}, expect=201)
    await world.broker("POST", f"/api/packages/{client['id']}/award", {"offer_id": mine["id"]}, expect=200)
    far = await world.post(urgency="amber", postcode="SG2 9YL", visits=[visit(["sat"], "lunch")])
    near = await world.post(urgency="green", postcode="SG1 1AF", visits=[visit(["mon", "tue", "wed"], "morning")])
    await alpha("POST", f"/api/packages/{near['id']}/offers", {"hourly_rate": 23.0, "start_date": near["start_date"], "can_meet_needs": True}, expect=201)
    return {"near": near["id"], "far": far["id"], "client": client["id"]}


@pytest.mark.parametrize("width", [375, 1280])
async def test_board_sorted_by_fit_and_provider_map(world: World, browsing: Browsing, width: int) -> None:
    ids = await rounds_world(world)
    page = await browsing.signed_in(ALPHA, PASSWORD, width=width)
    cards = page.locator("#board > li")
    await cards.nth(1).wait_for()
    # Urgency first: the amber package leads.
    assert await cards.nth(0).get_attribute("data-package-id") == ids["far"]
    await page.get_by_label("Sort packages by").select_option("fit")
    # The board redraws after the change event: wait for the order (raises on timeout).
    await expect(cards.nth(0)).to_have_attribute("data-package-id", ids["near"])
    await page.get_by_text("from your Mon–Wed morning round").first.wait_for()
    await check(page, "provider-board-by-fit", width)
    await page.goto(f"/provider/packages/{ids['near']}")
    await page.get_by_text("from your Mon–Wed morning round").wait_for()
    await check(page, "provider-package-fit", width)
    await page.goto("/provider/map")
    await page.locator("#packages-body > tr").nth(1).wait_for()
    await page.locator("#clients-body > tr").first.wait_for()
    await page.locator(".leaflet-interactive").first.wait_for()
    text = await page.locator("main").inner_text()
    assert "SG1 1AB" in text  # its own client
    assert "SG1 1AF" not in text and "SG2 9YL" not in text  # unawarded packages: sector only
    await check(page, "provider-map", width)
    broker = await browsing.signed_in(BROKER, PASSWORD, width=width)
    await broker.goto(f"/broker/packages/{ids['near']}")
    await broker.get_by_text("from its Mon–Wed morning round").wait_for()
    await check(broker, "broker-package-fit", width)
