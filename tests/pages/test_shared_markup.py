"""Pages draw shared GOV.UK components from one macro each: the new-package form's start date
is the shared date input (and is read by date-input.js)."""

from __future__ import annotations

import datetime as dt

from tests.conftest import World, tomorrow
from tests.pages.conftest import Browsing, axe_violations
from tests.pages.test_broker_tools import fill_post_form
from tests.pages.test_every_page import BROKER
from tests.support import PASSWORD


async def test_new_package_start_date_is_the_shared_date_input(world: World, browsing: Browsing) -> None:
    page = await browsing.signed_in(BROKER, PASSWORD, width=375)
    await page.goto("/broker/packages/new")
    group = page.locator('.govuk-form-group[data-field="start_date"]')
    assert await group.get_by_role("group", name="Start date").count() == 1
    for label in ("Day", "Month", "Year"):
        assert await group.get_by_label(label).count() == 1
    # A day with a part missing: said beside the field, with the form's other problems.
    await page.get_by_label("Postcode").fill("SG1 1AA")
    await page.locator("#start_date-day").fill("5")
    await page.locator("#start_date-year").fill(str(dt.date.today().year + 1))
    await page.get_by_role("button", name="Post package").click()
    summary = page.locator(".govuk-error-summary")
    await summary.wait_for()
    listed = [t.strip() for t in await summary.locator("li").all_inner_texts()]
    assert "The start date must include a day, month and year" in listed and len(listed) > 1, listed
    assert "The start date must include a day, month and year" in await group.locator(".govuk-error-message").inner_text()
    assert await axe_violations(page) == []
    # The whole date reaches the API as before.
    await page.goto("/broker/packages/new")
    await fill_post_form(page, "HCC-DATE-1")  # the start date typed into its three fields
    await page.get_by_role("button", name="Post package").click()
    await page.get_by_role("heading", name="Package posted").wait_for()
    posted = await world.broker("GET", f"/api/packages/{page.url.split('/')[-2]}", expect=200)
    assert posted["start_date"] == tomorrow()
