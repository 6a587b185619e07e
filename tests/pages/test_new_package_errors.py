"""The new-package form's errors read plainly to someone in a hurry on a phone: a visit
pattern with no day ticked says what to do, not 'days must include at least one'."""

from __future__ import annotations

from tests.conftest import World
from tests.pages.conftest import Browsing
from tests.pages.test_broker_tools import fill_post_form
from tests.pages.test_every_page import BROKER
from tests.support import PASSWORD


async def test_visit_with_no_day_says_select_a_day(world: World, browsing: Browsing) -> None:
    page = await browsing.signed_in(BROKER, PASSWORD, width=375)
    await page.goto("/broker/packages/new")
    await fill_post_form(page, "HCC-DAYS-1")
    await page.locator("#visits-0-day-mon").uncheck()
    await page.get_by_role("button", name="Post package").click()
    summary = page.locator(".govuk-error-summary")
    await summary.wait_for()
    assert [t.strip() for t in await summary.locator("li").all_inner_texts()] == ["Select at least one day for visit pattern 1"]
    beside = await page.locator('[data-field="visits"] .govuk-error-message').inner_text()
    assert "Select at least one day for visit pattern 1" in beside and "must include" not in beside, beside
    # Nothing was posted.
    assert (await world.broker("GET", "/api/packages?q=HCC-DAYS-1", expect=200)) == []
