"""A date the service cannot hold (year 9999) is refused on the reports page in words a
person reads at a glance: it is the year that is out of range, and only the year is marked."""

from __future__ import annotations

from tests.conftest import World
from tests.pages.conftest import Browsing
from tests.pages.test_every_page import BROKER
from tests.support import PASSWORD


async def test_reports_year_9999_says_the_year_is_out_of_range(world: World, browsing: Browsing) -> None:
    page = await browsing.signed_in(BROKER, PASSWORD, width=375)
    await page.goto("/broker/reports")
    to = page.get_by_role("group", name="Date to")
    for label, value in (("Day", "31"), ("Month", "12"), ("Year", "9999")):
        await to.get_by_label(label).fill(value)
    await page.get_by_role("button", name="Show reports").click()
    summary = page.locator(".govuk-error-summary")
    await summary.wait_for()
    assert [t.strip() for t in await summary.locator("li").all_inner_texts()] == ["Date to must have a year between 1970 and 9998"]
    assert await summary.get_by_role("link").get_attribute("href") == "#to-year"
    assert await to.locator("input.govuk-input--error").evaluate_all("els => els.map(e => e.name)") == ["to-year"]
