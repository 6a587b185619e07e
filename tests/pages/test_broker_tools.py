"""Brokers at speed, in the browser: post then find after award by reference; bulk CSV with
bad rows then fixed; extend a deadline from the package page; the reports page's figures for
a history with known times; axe-core on every new page at 375 and 1280 px."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import time
from zoneinfo import ZoneInfo

import pytest

from core import iso, parse_iso
from tests.conftest import World, tomorrow
from tests.pages.test_every_page import BROKER, check
from tests.pages.conftest import CONNECTED, Browsing
from tests.support import PASSWORD
from tests.test_bulk_import import csv_text, row

UK = ZoneInfo("Europe/London")


async def fill_post_form(page, reference: str) -> None:
    await page.get_by_label("Council reference (optional)").fill(reference)
    await page.get_by_label("Postcode").fill("SG1 1AA")
    await page.get_by_label("Amber: respond within 24 hours").check()
    await page.locator("#service_type-homecare").check()
    await page.get_by_label("Older people").check()
    await page.get_by_label("Hours per week").fill("7")
    start = dt.date.fromisoformat(tomorrow())
    await page.locator("#start_date-day").fill(str(start.day))
    await page.locator("#start_date-month").fill(str(start.month))
    await page.locator("#start_date-year").fill(str(start.year))
    await page.locator("#visits-0-day-mon").check()
    await page.locator("#visits-0-band-morning").check()
    await page.locator("#visits-0-minutes").fill("30")


async def test_post_then_find_it_after_award_by_reference(world: World, browsing: Browsing) -> None:
    page = await browsing.signed_in(BROKER, PASSWORD)
    await page.goto("/broker/packages/new")
    assert await page.locator('input[name="urgency"]:checked').count() == 0  # nothing unsafe preselected
    assert await page.locator('input[name="service_type"]:checked').count() == 0
    await fill_post_form(page, "HCC-FIND-1")
    await page.get_by_role("button", name="Post package").click()
    await page.get_by_role("heading", name="Package posted").wait_for()
    assert await page.locator("#posted-reference").inner_text() == "HCC-FIND-1"
    package_id = page.url.split("/")[-2]
    alpha = world.users["Alpha Care"]
    offer = await alpha("POST", f"/api/packages/{package_id}/offers", {"hourly_rate": 22, "start_date": tomorrow(), "can_meet_needs": True}, expect=201)
    await world.broker("POST", f"/api/packages/{package_id}/award", {"offer_id": offer["id"]}, expect=200)

    await page.get_by_role("link", name="Post another").click()
    await page.get_by_role("heading", name="Post a package").wait_for()
    await page.goto("/broker/packages")
    await page.get_by_label("Search").fill("hcc-find-1")
    await page.get_by_role("button", name="Search").click()
    await page.get_by_role("heading", name="1 package found").wait_for()
    card = page.locator(".app-result")
    assert await card.count() == 1
    text = await card.inner_text()
    assert "HCC-FIND-1" in text and "SG1 1AA" in text and "Awarded" in text and "Alpha Care" in text
    # Posted in UK time and words, as every other page says times (not "2026-12-07 07:13 UTC").
    assert "UTC" not in text and re.search(r"Posted\s+\d{1,2} [A-Z][a-z]+ \d{4}, \d\d:\d\d", text), text
    await card.get_by_role("link").click()
    await page.wait_for_url(f"**/broker/packages/{package_id}")


async def test_csv_with_two_bad_rows_posts_nothing_then_all_thirty(world: World, browsing: Browsing) -> None:
    rows = [row(n) for n in range(1, 31)]
    rows[6] = row(7, postcode="ZZ9 9ZZ")
    rows[22] = row(23, urgency="purple")
    page = await browsing.signed_in(BROKER, PASSWORD)
    await page.goto("/broker/packages/import")
    await page.get_by_label("Upload a CSV file").set_input_files(files=[{"name": "packages.csv", "mimeType": "text/csv", "buffer": csv_text(rows).encode()}])
    await page.get_by_role("button", name="Check and post").click()
    errors = page.locator("#import-error-list > li")
    await errors.first.wait_for()
    listed = await errors.all_inner_texts()
    assert len(listed) == 2
    assert listed[0].startswith("Row 7, postcode:") and listed[1].startswith("Row 23, urgency:")
    assert await world.broker("GET", "/api/packages", expect=200) == []

    rows[6], rows[22] = row(7), row(23)
    await page.get_by_label("Upload a CSV file").set_input_files(files=[{"name": "packages.csv", "mimeType": "text/csv", "buffer": csv_text(rows).encode()}])
    await page.get_by_role("button", name="Check and post").click()
    await page.get_by_role("heading", name="30 packages posted").wait_for()
    assert await page.locator("#import-report tbody tr").count() == 30
    assert await page.locator("#import-error-list").count() == 0
    listing = await world.broker("GET", "/api/packages?q=BULK-&page=1&per_page=100", expect=200)
    assert listing["total"] == 30


async def test_extend_deadline_from_the_package_page(world: World, browsing: Browsing) -> None:
    package = await world.post(urgency="red", reference="HCC-EXT")  # a 3 s window in the test service
    # Room for a slow page load on a busy machine: the window is first moved 20 s on by the API.
    first = await world.broker("POST", f"/api/packages/{package['id']}/deadline", {"deadline": iso(time.time() + 20), "reason": "room"}, expect=200)
    new = parse_iso(first["deadline"]) + 6
    local = dt.datetime.fromtimestamp(new, UK)
    page = await browsing.signed_in(BROKER, PASSWORD)
    await page.goto(f"/broker/packages/{package['id']}")
    await page.get_by_text("Extend the deadline").first.click()
    await page.locator("#deadline-day").fill(str(local.day))
    await page.locator("#deadline-month").fill(str(local.month))
    await page.locator("#deadline-year").fill(str(local.year))
    await page.get_by_label("Time (UK, 24-hour)").fill(local.strftime("%H:%M:%S"))
    await page.get_by_label("Why it moves").fill("Providers asked for more time")
    await page.get_by_role("button", name="Extend the deadline").click()
    await page.locator("#done-text").wait_for()
    assert "Deadline moved" in await page.locator("#done-text").inner_text()

    deadline = time.monotonic() + 60
    while (await world.broker("GET", f"/api/packages/{package['id']}", expect=200))["status"] == "live":
        assert time.monotonic() < deadline, "the extended window never closed"
        await asyncio.sleep(0.25)
    history = await world.broker("GET", f"/api/packages/{package['id']}/history", expect=200)
    closes = [e for e in history if e["type"] in ("package.unplaced", "package.awaiting_award")]
    assert len(closes) == 1 and parse_iso(closes[0]["at"]) >= new  # not at the old time, once at the new
    assert [e["type"] for e in history].count("deadline.extended") == 2


async def test_reports_page_shows_a_known_history_exactly(world: World, browsing: Browsing) -> None:
    from tests.test_reports import script_history

    script_history(world.service.redis_url)
    page = await browsing.signed_in(BROKER, PASSWORD)
    await page.goto("/broker/reports?from=2025-03-01&to=2025-03-31")

    async def table(chart: str) -> list[list[str]]:
        rows = page.locator(f"#table-{chart} tbody tr")
        return [[c.strip() for c in await rows.nth(n).locator("th, td").all_inner_texts()] for n in range(await rows.count())]

    assert await table("time-to-place") == [["Red", "1 h"], ["Amber", "no awards"], ["Green", "10 h"]]
    assert await table("within-deadline") == [["Packages posted", "5"], ["Placed", "3"], ["Unplaced", "2"], ["Placed within the deadline", "66.7%"]]
    # Each district links to itself on the map ("SG1" and, for screen readers, " on the map").
    assert [[" ".join(r[0].split()), r[1]] for r in await table("unmet-need")] == [["SG1 on the map", "1"], ["SG6 on the map", "1"]]
    assert await table("offers") == [["Offers per package", "1.2"]]
    assert await table("response-rate") == [["prv_a", "75%", "yes"], ["prv_b", "100%", "yes"], ["prv_c", "25%", "no"]]
    assert await table("hours-spread") == [["prv_c", "0", "0.0%"], ["prv_a", "10", "48.8%"], ["prv_b", "10.5", "100.0%"]]
    assert "Gini coefficient: 0.34" in await page.locator("#gini").inner_text()
    for chart in ("time-to-place", "within-deadline", "unmet-need", "response-rate", "hours-spread"):
        svg = page.locator(f"#chart-{chart}")
        assert await svg.get_attribute("role") == "img"
        assert await svg.locator("title").count() == 1
    response = await world.broker.raw("GET", "/broker/reports/response-rate.csv?from=2025-03-01&to=2025-03-31", headers={"Cookie": f"session={world.broker.token}"})
    assert response.text.splitlines() == ["Provider,Response rate,Meets 75% target", "prv_a,75%,yes", "prv_b,100%,yes", "prv_c,25%,no"]


@pytest.mark.parametrize("width", [375, 1280])
async def test_new_broker_pages_pass_axe(world: World, browsing: Browsing, width: int) -> None:
    from tests.test_reports import script_history

    script_history(world.service.redis_url)
    awarded = await world.post(reference="HCC-AXE-1")
    offer = await world.users["Alpha Care"]("POST", f"/api/packages/{awarded['id']}/offers", {"hourly_rate": 22, "start_date": tomorrow(), "can_meet_needs": True}, expect=201)
    await world.broker("POST", f"/api/packages/{awarded['id']}/award", {"offer_id": offer["id"]}, expect=200)
    nobody = await world.post(postcode="SG6 1AA", specialisms=["bariatric"], reference="HCC-AXE-2", urgency="green")
    live = await world.post(reference="HCC-AXE-3", urgency="green")
    page = await browsing.signed_in(BROKER, PASSWORD, width=width)
    await page.goto("/broker/packages")
    await page.locator(".app-result").first.wait_for()
    await check(page, "broker-packages", width)
    await page.goto("/broker/packages?from=nonsense")
    await page.locator(".govuk-error-summary").get_by_text("Date from must be a real date").wait_for()
    await check(page, "broker-packages-errors", width)
    # The GOV.UK date input: a range that holds the awarded package, then one after it.
    await page.goto("/broker/packages")
    await page.get_by_text("Filters", exact=False).first.click()
    today = dt.date.today()
    for name, day in (("from", today), ("to", today)):
        for part, value in (("day", day.day), ("month", day.month), ("year", day.year)):
            await page.locator(f"#{name}-{part}").fill(str(value))
    await page.get_by_role("button", name="Search").click()
    await page.get_by_text("HCC-AXE-1").first.wait_for()
    await page.locator("#from-day").fill(str((today + dt.timedelta(days=1)).day))
    await page.locator("#from-month").fill(str((today + dt.timedelta(days=1)).month))
    await page.locator("#from-year").fill(str((today + dt.timedelta(days=1)).year))
    await page.get_by_role("button", name="Search").click()
    await page.locator(".govuk-error-summary").get_by_text("Date to must be the same as or after date from").wait_for()
    await page.goto(f"/broker/packages/{nobody['id']}/posted")
    await page.locator("#match-warning").wait_for()
    await check(page, "broker-posted-nobody", width)
    await page.goto(f"/broker/packages/{live['id']}")
    await page.get_by_text("Extend the deadline").first.click()
    await page.get_by_role("button", name="Extend the deadline").click()
    await page.locator(".govuk-error-summary").wait_for()
    await page.locator("#history > li").first.wait_for()
    await check(page, "broker-package-actions-errors", width)
    await page.goto("/broker/packages/import")
    await page.get_by_label("Upload a CSV file").set_input_files(files=[{"name": "p.csv", "mimeType": "text/csv", "buffer": csv_text([row(1, band="brunch")]).encode()}])
    await page.get_by_role("button", name="Check and post").click()
    await page.locator("#import-error-list > li").first.wait_for()
    await check(page, "broker-import-errors", width)
    await page.goto("/broker/reports?from=2025-03-01&to=2025-03-31")
    await check(page, "broker-reports", width)
    await page.goto("/broker/packages/new")
    await check(page, "broker-new", width)


async def test_feed_remembers_then_goes_live_without_repeats(world: World, browsing: Browsing) -> None:
    before = await world.post(reference="HCC-MEM-1")
    page = await browsing.signed_in(BROKER, PASSWORD)  # lands on /broker after the posting
    remembered = page.locator("#feed > li[data-type='package.posted']")
    await remembered.first.wait_for()
    assert "HCC-MEM-1" in await remembered.first.inner_text() and "SG1 1AA" in await remembered.first.inner_text()
    await page.get_by_text(CONNECTED).wait_for()
    live_list = page.locator("#live-list")
    assert "HCC-MEM-1" in await live_list.inner_text() and "0 offers" in await live_list.inner_text()
    await world.users["Alpha Care"]("POST", f"/api/packages/{before['id']}/offers", {"hourly_rate": 22, "start_date": tomorrow(), "can_meet_needs": True}, expect=201)
    await page.locator("#feed > li[data-type='offer.submitted']").first.wait_for()
    assert "Alpha Care" in await page.locator("#feed > li[data-type='offer.submitted']").first.inner_text()
    await page.get_by_text("1 offer ·").wait_for()
    await world.post(reference="HCC-MEM-2")
    await page.locator("#feed > li[data-type='package.posted']").nth(1).wait_for()
    await page.reload()
    await page.get_by_text(CONNECTED).wait_for()
    texts = await page.locator("#feed > li[data-type='package.posted']").all_inner_texts()
    assert [("HCC-MEM-2" in t, "HCC-MEM-1" in t) for t in texts] == [(True, False), (False, True)]  # each once, newest first


async def fill_date(page, name: str, day: str, month: str, year: str) -> None:  # type: ignore[no-untyped-def]
    for part, value in (("day", day), ("month", month), ("year", year)):
        await page.locator(f"#{name}-{part}").fill(value)


@pytest.mark.timeout(240)
async def test_reports_range_by_three_field_dates_and_unmet_need_on_the_map(world: World, browsing: Browsing) -> None:
    from tests.test_reports import script_history

    script_history(world.service.redis_url)
    page = await browsing.signed_in(BROKER, PASSWORD)
    await page.goto("/broker/reports")
    assert await page.locator("input[type=date]").count() == 0
    await fill_date(page, "from", "1", "3", "2025")
    await fill_date(page, "to", "31", "3", "2025")
    await page.get_by_role("button", name="Show reports").click()
    await page.wait_for_url("**/broker/reports?from-day=1*")
    rows = page.locator("#table-within-deadline tbody tr")
    assert [" ".join(t.split()) for t in await rows.all_inner_texts()] == ["Packages posted 5", "Placed 3", "Unplaced 2", "Placed within the deadline 66.7%"]
    assert "From 1 March 2025 to 31 March 2025" in await page.locator("#report-range").inner_text()
    # The CSV downloads keep the range.
    href = await page.locator("a[href^='/broker/reports/response-rate.csv']").get_attribute("href")
    assert href == "/broker/reports/response-rate.csv?from=2025-03-01&to=2025-03-31"
    response = await world.broker.raw("GET", href, headers={"Cookie": f"session={world.broker.token}"})
    assert response.text.splitlines()[1:] == ["prv_a,75%,yes", "prv_b,100%,yes", "prv_c,25%,no"]

    # Unmet need: each district in the table shows itself on the map, by keyboard too.
    await page.locator("#unmet-map[data-ready]").wait_for(state="attached")
    assert await page.locator("#unmet-map path.leaflet-interactive").count() == 2
    link = page.get_by_role("link", name="SG6 on the map")
    await link.focus()
    await page.keyboard.press("Enter")
    await page.get_by_text("SG6 is highlighted: 1 unplaced package.").wait_for()
    assert await link.get_attribute("aria-current") == "true"
    assert await page.get_by_role("link", name="SG1 on the map").get_attribute("aria-current") is None
    assert await page.evaluate("document.activeElement.id") == "unmet-map"
    assert "district=SG6" in page.url
    widths = await page.locator("#unmet-map path.leaflet-interactive").evaluate_all("ps => ps.map(p => p.getAttribute('stroke-width')).sort()")
    assert widths == ["1", "5"]
    # The chart's bar does the same with a pointer.
    await page.locator("#chart-unmet-need rect[data-key='SG1']").click()
    await page.get_by_text("SG1 is highlighted: 1 unplaced package.").wait_for()
    # Without the script the link is a page of its own with the district highlighted.
    await page.goto("/broker/reports?from=2025-03-01&to=2025-03-31&district=SG6")
    assert "SG6 is highlighted" in await page.locator("#unmet-map-status").inner_text()
    assert await page.get_by_role("link", name="SG6 on the map").get_attribute("aria-current") == "true"

    # Dates that are not real: GOV.UK messages, nothing computed.
    await page.goto("/broker/reports")
    await fill_date(page, "from", "30", "2", "2025")
    await fill_date(page, "to", "1", "", "2025")
    await page.get_by_role("button", name="Show reports").click()
    summary = page.locator(".govuk-error-summary")
    await summary.wait_for()
    assert [t.strip() for t in await summary.locator("li").all_inner_texts()] == ["Date from must be a real date", "Date to must include a month"]
    assert await page.locator("#to-month.govuk-input--error").count() == 1 and await page.locator("#report-range").count() == 0
    await fill_date(page, "from", "31", "3", "2025")
    await fill_date(page, "to", "1", "3", "2025")
    await page.get_by_role("button", name="Show reports").click()
    await summary.wait_for()
    assert [t.strip() for t in await summary.locator("li").all_inner_texts()] == ["Date to must be the same as or after date from"]


@pytest.mark.parametrize("width", [375, 1280])
async def test_changed_report_pages_pass_axe(world: World, browsing: Browsing, width: int) -> None:
    from tests.test_reports import script_history

    script_history(world.service.redis_url)
    page = await browsing.signed_in(BROKER, PASSWORD, width=width)
    await page.goto("/broker/reports?from=2025-03-01&to=2025-03-31&district=SG6")
    await page.locator("#unmet-map[data-ready]").wait_for(state="attached")
    await check(page, "broker-reports-map", width)
    await page.goto("/broker/reports?from-day=30&from-month=2&from-year=2025")
    await page.locator(".govuk-error-summary").wait_for()
    await check(page, "broker-reports-date-errors", width)
    if width == 375:
        narrow = await browsing.signed_in(BROKER, PASSWORD, width=320)
        for path in ("/broker/reports?from=2025-03-01&to=2025-03-31&district=SG6", "/broker/reports?from-day=30&from-month=2&from-year=2025"):
            await narrow.goto(path)
            await narrow.wait_for_load_state("networkidle")
            assert await narrow.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), f"{path} scrolls sideways at 320 px"


@pytest.mark.timeout(240)
async def test_feed_names_users_not_ids_after_reload_and_live(world: World, browsing: Browsing) -> None:
    alpha = world.users["Alpha Care"]
    alpha_email = alpha.user["email"]
    package = await world.post(reference="HCC-NAME-1")
    await alpha("POST", f"/api/packages/{package['id']}/offers", {"hourly_rate": 22, "start_date": tomorrow(), "can_meet_needs": True}, expect=201)
    page = await browsing.signed_in(BROKER, PASSWORD)
    offered = page.locator("#feed > li[data-type='offer.submitted']")
    await offered.first.wait_for()
    # Remembered (from the event log on load): the provider and the user who made the offer.
    line = await offered.first.inner_text()
    assert "Offer from Alpha Care for SG1 1AA, HCC-NAME-1" in line and line.endswith(f"By {alpha_email}.")
    line = await page.locator("#feed > li[data-type='package.posted']").first.inner_text()
    assert "Posted: SG1 1AA, HCC-NAME-1" in line and line.endswith("By broker@council.test.")
    await page.get_by_text(CONNECTED).wait_for()
    # Live: a provider and a user that did not exist when the page loaded.
    delta = await world.add_provider("Delta Care", tiers={"Stevenage": "primary"})
    second = await world.post(reference="HCC-NAME-2")
    await delta("POST", f"/api/packages/{second['id']}/decline", {"reason": "No carers free that week"}, expect=200)
    declined = page.locator("#feed > li[data-type='package.declined']")
    await declined.first.wait_for()
    assert (await declined.first.inner_text()).endswith(f"Delta Care declined SG1 1AA, HCC-NAME-2, Stevenage (amber): No carers free that week By {delta.user['email']}.")
    await page.reload()
    await page.get_by_text(CONNECTED).wait_for()
    text = await page.locator("#feed").inner_text()
    assert f"No carers free that week By {delta.user['email']}." in text
    # The offer's start date in words (Tue, 1 Dec 2026), not the API's ISO date.
    assert re.search(r"from \w{3}, \d{1,2} \w{3,4} \d{4}\. By " + re.escape(alpha_email) + r"\.", text) and tomorrow() not in text
    assert "usr_" not in text and "prv_" not in text
    await page.get_by_label("Show email, text and push message deliveries").check()
    deliveries = page.locator("#feed > li[data-type^='notification.']:not([hidden])")
    if await deliveries.count():
        delivered = await deliveries.all_inner_texts()
        assert all("usr_" not in t for t in delivered) and any("@" in t for t in delivered)
