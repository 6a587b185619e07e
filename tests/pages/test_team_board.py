"""Issue 14 item 5 in a real browser: two users of one provider each on the board, over real
sockets. One offers and the other declines; each board says so at once, names who did it,
counts the unanswered packages in the tab title and filters to them (with JavaScript and
without). The red alert is off until the person ticks it, and only then asks the browser."""

from __future__ import annotations

import re
from typing import Any

from playwright.async_api import expect

from tests.conftest import World, login
from tests.pages.conftest import CONNECTED, Browsing, fill_date, shoot
from tests.support import PASSWORD

TITLE = "Packages for you – Home care brokerage"
# Records what the page does with the Notification API, and grants it when asked.
NOTIFICATION_SPY = """
(() => {
  window.__asked = 0; window.__shown = [];
  let permission = "default";
  class Spy { constructor(title, options) { window.__shown.push({ title, body: (options || {}).body }); } close() {} }
  Object.defineProperty(Spy, "permission", { get: () => permission });
  Spy.requestPermission = async () => { window.__asked += 1; permission = "granted"; return permission; };
  window.Notification = Spy;
})();
"""


async def teammates(world: World) -> None:
    alpha_id = world.providers["Alpha Care"]["id"]
    for name in ("sam", "priya"):
        await world.admin("POST", "/api/users", {"email": f"{name}@alpha-care.test", "password": PASSWORD, "role": "provider", "provider_id": alpha_id}, expect=201)


def card(page: Any, package_id: str) -> Any:
    return page.locator(f'#board > li[data-package-id="{package_id}"]')


async def test_card_states_after_an_offer_by_one_teammate_and_a_decline_by_another(world: World, browsing: Browsing) -> None:
    await teammates(world)
    sam = await browsing.signed_in("sam@alpha-care.test", PASSWORD, width=375)
    priya = await browsing.signed_in("priya@alpha-care.test", PASSWORD, width=1280)
    for page in (sam, priya):
        await page.get_by_text(CONNECTED).wait_for()
    first, second, third = [await world.post(urgency="amber") for _ in range(3)]
    for page in (sam, priya):
        await card(page, third["id"]).wait_for(timeout=10_000)
        await expect(card(page, first["id"]).locator(".app-team-state")).to_have_text("Not yet answered")
        await expect(page).to_have_title(f"(3) {TITLE}")

    # Sam offers on the first package from its page; Priya's board says Sam did, live.
    await card(sam, first["id"]).get_by_role("link").click()
    await sam.get_by_label("Hourly rate").fill("22")
    await fill_date(sam, "start_date", first["start_date"])
    await sam.get_by_label("I can meet these needs").check()
    await sam.get_by_role("button", name="Make offer").click()
    await sam.get_by_text("Waiting for the council's decision").wait_for()
    await expect(sam.locator("#team-state")).to_have_text("Your team: You offered £22.00 – waiting for the council")
    await expect(card(priya, first["id"]).locator(".app-team-state")).to_have_text("Sam offered £22.00 – waiting for the council", timeout=10_000)
    await expect(priya).to_have_title(f"(2) {TITLE}")

    # Priya declines the second; Sam's package page and, back on it, Sam's board say so.
    await card(priya, second["id"]).get_by_role("link").click()
    await priya.get_by_label("Reason for declining").fill("No carers free on Wednesdays")
    await priya.get_by_role("button", name="Decline package").click()
    await expect(priya.locator("#team-state")).to_have_text("Your team: Declined by you", timeout=10_000)
    await sam.goto("/provider")
    await expect(card(sam, second["id"]).locator(".app-team-state")).to_have_text("Declined by Priya")
    await expect(card(sam, first["id"]).locator(".app-team-state")).to_have_text("You offered £22.00 – waiting for the council")
    await expect(sam).to_have_title(f"(1) {TITLE}")

    # Back on the board, Priya sees it too, and follows Sam live from here on.
    await priya.goto("/provider")
    await expect(card(priya, second["id"]).locator(".app-team-state")).to_have_text("Declined by you")
    # Sam offers on the third through the API (another device): Priya's open board follows.
    sam_api = await login(world.service.url(), "sam@alpha-care.test", PASSWORD)
    try:
        await sam_api("POST", f"/api/packages/{third['id']}/offers", {"hourly_rate": 24.5, "start_date": third["start_date"], "can_meet_needs": True}, expect=201)
        await expect(card(priya, third["id"]).locator(".app-team-state")).to_have_text("Sam offered £24.50 – waiting for the council", timeout=10_000)
        await expect(priya).to_have_title(TITLE)  # nothing left unanswered: no count
        # Sam withdraws it: unanswered again, on Priya's board too.
        mine = (await sam_api("GET", f"/api/packages/{third['id']}/offers", expect=200))[0]
        await sam_api("DELETE", f"/api/packages/{third['id']}/offers/{mine['id']}", expect=200)
        await expect(card(priya, third["id"]).locator(".app-team-state")).to_have_text("Not yet answered", timeout=10_000)
        await expect(priya).to_have_title(f"(1) {TITLE}")
    finally:
        await sam_api.aclose()
    await shoot(sam, "provider-board-team-375")
    await shoot(priya, "provider-board-team-1280")


async def test_not_yet_answered_filter_with_and_without_javascript(world: World, browsing: Browsing) -> None:
    await teammates(world)
    answered, waiting = [await world.post(urgency="amber") for _ in range(2)]
    sam_api = await login(world.service.url(), "sam@alpha-care.test", PASSWORD)
    world.clients.append(sam_api)
    await sam_api("POST", f"/api/packages/{answered['id']}/decline", {"reason": "No carers free"}, expect=200)

    page = await browsing.signed_in("priya@alpha-care.test", PASSWORD, width=375)
    await card(page, waiting["id"]).wait_for()
    await expect(page.locator("#board > li")).to_have_count(2)
    await expect(page.get_by_role("button", name="Apply")).to_be_hidden()  # the box filters at once
    await page.get_by_label(re.compile(r"Only packages not yet answered \(1\)")).check()
    await expect(page.locator("#board > li")).to_have_count(1)
    assert await page.locator("#board > li").get_attribute("data-package-id") == waiting["id"]
    assert page.url.endswith("/provider?show=unanswered")
    await expect(page.locator("#filter-note")).to_have_text("Showing 1 of 2 live packages: only those not yet answered.")
    # A new package arrives live: unanswered, so it shows in the filtered board and the count.
    fresh = await world.post(urgency="amber")  # (red windows are 3 s in tests)
    await card(page, fresh["id"]).wait_for(timeout=10_000)
    await expect(page).to_have_title(f"(2) {TITLE}")
    await expect(page.get_by_text("Only packages not yet answered (2)")).to_be_visible()
    await page.reload()  # the address keeps the filter
    await expect(page.locator("#board > li")).to_have_count(2)
    await page.get_by_label(re.compile("Only packages not yet answered")).uncheck()
    await expect(page.locator("#board > li")).to_have_count(3)

    # Without JavaScript: the same box and an Apply button, as a query parameter.
    context = await browsing.browser.new_context(base_url=browsing.base_url, java_script_enabled=False, viewport={"width": 375, "height": 800})
    browsing.contexts.append(context)
    await context.add_cookies([{"name": "session", "value": sam_api.token, "url": browsing.base_url}])
    nojs = await context.new_page()
    await nojs.goto("/provider")
    await expect(nojs.locator("#board > li")).to_have_count(3)
    assert await nojs.title() == f"(2) {TITLE}"
    await nojs.get_by_label(re.compile("Only packages not yet answered")).check()
    await nojs.get_by_role("button", name="Apply").click()
    await nojs.wait_for_url("**/provider?show=unanswered")
    ids = await nojs.locator("#board > li").evaluate_all("els => els.map(e => e.dataset.packageId)")
    assert ids == [fresh["id"], waiting["id"]]
    await expect(nojs.locator("#red-alerts")).to_be_hidden()  # needs the script: not offered without it


async def test_red_alert_is_opt_in_per_device_and_asks_only_on_a_click(world: World, browsing: Browsing) -> None:
    page = await browsing.signed_in("staff.2@alpha-care.test", PASSWORD, width=375)
    await page.add_init_script(NOTIFICATION_SPY)
    await page.reload()
    await page.get_by_text(CONNECTED).wait_for()
    alerts = page.locator("#red-alerts summary")
    await expect(alerts).to_have_text("Sound and desktop alerts for red packages: off")
    box = page.get_by_label("Sound and desktop alert for new red packages")
    await expect(box).not_to_be_checked()
    # Red windows are 3 s in tests: a later amber package proves the red one was handled.
    await world.post(urgency="red")
    marker = await world.post(urgency="amber")
    await card(page, marker["id"]).wait_for(timeout=10_000)
    assert await page.evaluate("() => [window.__asked, window.__shown.length]") == [0, 0]  # off: nothing asked or shown

    await alerts.click()
    await box.check()
    await expect(alerts).to_have_text("Sound and desktop alerts for red packages: on")
    await page.wait_for_function("() => window.__asked === 1")
    assert await page.evaluate("() => localStorage.getItem('hb.red-alerts')") == "on"
    await world.post(urgency="red", hours_per_week=6)
    amber = await world.post(urgency="amber")
    await card(page, amber["id"]).wait_for(timeout=10_000)
    shown = await page.evaluate("() => window.__shown")
    # One notification: the red package's, not the amber one's.
    assert len(shown) == 1 and shown[0]["title"] == "New red package: respond within 1 hour", shown
    assert shown[0]["body"].startswith("SG1 1"), shown

    # Remembered on this device: ticked after a reload, and nothing asked again.
    await page.reload()
    await expect(page.locator("#red-alerts summary")).to_have_text("Sound and desktop alerts for red packages: on")
    await expect(page.get_by_label("Sound and desktop alert for new red packages")).to_be_checked()
    assert await page.evaluate("() => window.__asked") == 0
