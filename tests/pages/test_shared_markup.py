"""Pages draw shared GOV.UK components from one macro each: the new-package form's start date
is the shared date input (and is read by date-input.js), and every success banner after a
change in the back office (and on the broker's package page) is admin_macros.success_banner."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.conftest import World, tomorrow
from tests.pages.conftest import Browsing, axe_violations
from tests.pages.test_broker_tools import fill_post_form
from tests.pages.test_every_page import BROKER
from tests.support import ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, ROOT

TEMPLATES = ROOT / "web" / "templates"


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
    # It names the part that is missing, and marks only that field (the GOV.UK pattern).
    assert "The start date must include a month" in listed and len(listed) > 1, listed
    assert "The start date must include a month" in await group.locator(".govuk-error-message").inner_text()
    marked = await group.locator("input.govuk-input--error").evaluate_all("els => els.map(e => e.name)")
    assert marked == ["start_date-month"], marked
    assert await axe_violations(page) == []
    # The whole date reaches the API as before.
    await page.goto("/broker/packages/new")
    await fill_post_form(page, "HCC-DATE-1")  # the start date typed into its three fields
    await page.get_by_role("button", name="Post package").click()
    await page.get_by_role("heading", name="Package posted").wait_for()
    posted = await world.broker("GET", f"/api/packages/{page.url.split('/')[-2]}", expect=200)
    assert posted["start_date"] == tomorrow()


def test_success_banner_markup_is_written_once() -> None:
    banner = re.compile(r'class="govuk-notification-banner govuk-notification-banner--success" role="alert"')
    writers = sorted(p.name for p in TEMPLATES.glob("*.html") if banner.search(p.read_text(encoding="utf-8")))
    assert writers == ["admin_macros.html"]


@pytest.mark.timeout(120)
async def test_every_success_banner_reads_the_same(world: World, browsing: Browsing) -> None:
    alpha = world.providers["Alpha Care"]["id"]
    hook = await world.admin("POST", "/api/webhooks", {"url": "https://x.test/hooks", "events": ["package.posted"]}, expect=201)
    package = await world.post(reference="HCC-BANNER-1")
    admin = await browsing.signed_in(ADMIN_EMAIL, ADMIN_PASSWORD, width=375)
    pages = [("/admin/areas?done=saved", "The area is saved."),
             ("/admin/users?done=created", "The user is created. Give them their email address and password."),
             (f"/admin/providers/{alpha}?saved=1", "The provider is saved."),
             (f"/admin/providers/{alpha}?saved=status", "The status is changed."),
             ("/admin/webhooks?done=deleted", "The receiver is removed. Nothing more is sent to it."),
             (f"/admin/webhooks/{hook['id']}?done=resent", "The delivery will be sent again in a moment, with the same webhook-id."),
             (f"/broker/packages/{package['id']}?done=deadline", "Deadline moved. Matched providers have been told.")]
    for path, message in pages:
        await admin.goto(path)
        banner = admin.get_by_role("alert").filter(has=admin.locator(".govuk-notification-banner__title"))
        assert await banner.count() == 1, path
        title_id = await banner.get_attribute("aria-labelledby")
        assert await admin.locator(f"#{title_id}").inner_text() == "Success"
        assert await banner.locator(".govuk-notification-banner__heading").inner_text() == message
        assert await axe_violations(admin) == [], path
    await admin.goto(f"/broker/packages/{package['id']}?done=deadline")
    assert await admin.locator("#done-text").inner_text() == "Deadline moved. Matched providers have been told."
