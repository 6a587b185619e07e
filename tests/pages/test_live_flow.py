"""The journey in a real browser: a package appears live on the provider's board, the
provider offers (a bad rate is refused beside the field), the broker sees the offer arrive
live and awards it, and the provider hears the outcome at once."""

from __future__ import annotations

import re

from tests.conftest import SERVICE_ENV, World
from tests.pages.conftest import CONNECTED, Browsing, fill_date, no_horizontal_scroll, shoot
from tests.support import PASSWORD, RedisServer, Service

ALPHA = "staff.2@alpha-care.test"


async def test_package_appears_live_offer_award(world: World, browsing: Browsing) -> None:
    board = await browsing.signed_in(ALPHA, PASSWORD, width=375)
    await board.get_by_text(CONNECTED).wait_for()
    assert await board.locator("#board > li").count() == 0

    broker = await browsing.signed_in("broker@council.test", PASSWORD)
    assert broker.url.endswith("/broker")
    await broker.get_by_text(CONNECTED).wait_for()
    # Resuming from the recent events on first load is not coming back from an outage.
    assert "Back online" not in await broker.locator("body").inner_text()

    posted = await world.post(urgency="amber", specialisms=["dementia"], shareable_summary="Needs help with meals")
    card = board.locator(f'#board > li[data-package-id="{posted["id"]}"]')
    await card.wait_for(timeout=10_000)  # no reload: it came over /ws
    text = await card.inner_text()
    assert "Amber: Respond within 24 hours" in text
    assert "SG1 1" in text and "10.5 hours a week" in text and "Dementia" in text
    assert re.search(r"\d+ h \d+ min left|\d+ d \d+ h left", text)
    assert "SG1 1AA" not in await board.content() and "Testcase" not in await board.content()
    assert await no_horizontal_scroll(board)
    await broker.get_by_text(re.compile(r"Posted: SG1 1.*Matched \d+ provider")).wait_for()

    await card.get_by_role("link").click()
    await board.wait_for_url(f"**/provider/packages/{posted['id']}")
    await board.get_by_label("Hourly rate").fill("99")
    await fill_date(board, "start_date", posted["start_date"])
    await board.get_by_label("I can meet these needs").check()
    await board.get_by_role("button", name="Make offer").click()
    field_error = board.locator('[data-field="hourly_rate"] .govuk-error-message')
    await field_error.wait_for()
    assert "Hourly rate" in await field_error.inner_text()
    await board.get_by_label("Hourly rate").fill("21.50")
    await board.get_by_role("button", name="Make offer").click()
    await board.get_by_text("Waiting for the council's decision").wait_for()

    offer_line = broker.get_by_text(re.compile(r"Offer from Alpha Care .*£21\.50"))
    await offer_line.wait_for(timeout=10_000)
    # The start date in words, as on the package page, not the API's ISO date.
    assert re.search(r"an hour, from \w{3}, \d{1,2} \w{3,4} \d{4}\.", await offer_line.inner_text())
    await offer_line.click()
    await broker.wait_for_url(f"**/broker/packages/{posted['id']}")
    await broker.locator("#offers > li").first.wait_for()
    assert "quality 75" in await broker.locator("#offers").inner_text()
    await broker.get_by_role("button", name="Award to Alpha Care").click()
    await broker.get_by_role("button", name="Yes, award the package").click()
    await broker.locator("#package").get_by_text("Awarded", exact=True).wait_for()
    await broker.locator("#history").get_by_text(re.compile("Awarded .* to Alpha Care")).wait_for()

    await board.get_by_text("Accepted: the package is yours").wait_for(timeout=10_000)
    # The winner now sees the address, and can hand the package back with a reason.
    await board.reload()
    await board.get_by_text("SG1 1AA").wait_for()
    await board.get_by_role("button", name="Hand package back").click()
    await board.locator('[data-field="reason"] .govuk-error-message').first.wait_for()
    await board.get_by_label("Reason for handing back").fill("Lost two carers on that round")
    await board.get_by_role("button", name="Hand package back").click()
    # (the same words go to the live region for screen readers: read the page's own notice)
    await board.locator("#hand-back").get_by_text("You handed this package back.").wait_for()
    await shoot(board, "provider-package-handed-back-375")
    history = await world.broker("GET", f"/api/packages/{posted['id']}/history", expect=200)
    handed = next(e for e in history if e["type"] == "package.handed_back")
    successor = await world.broker("GET", f"/api/packages/{handed['data']['new_package_id']}", expect=200)
    assert successor["previous_hand_backs"][0]["reason"] == "Lost two carers on that round"
    await board.goto("/provider/offers")
    await board.get_by_role("cell", name="Accepted: the package is yours").wait_for()


async def test_closed_package_leaves_the_board_and_resume_after_a_dropped_connection(world: World, browsing: Browsing, redis_server: RedisServer) -> None:
    # The board talks to its own web process, which we kill and restart on the same port.
    own = Service(redis_server.url(0), env=SERVICE_ENV, workers=0).start()
    try:
        board = await browsing.signed_in(ALPHA, PASSWORD, base_url=own.url())
        await board.get_by_text(CONNECTED).wait_for()
        first = await world.post(urgency="green")
        await board.locator(f'li[data-package-id="{first["id"]}"]').wait_for(timeout=10_000)

        own.kill_web(0)
        await board.get_by_text("Connection lost").wait_for(timeout=10_000)
        second = await world.post(urgency="amber")  # posted while the board is cut off
        own.start_web(own.ports[0])
        await board.locator(f'li[data-package-id="{second["id"]}"]').wait_for(timeout=30_000)
        await board.get_by_text(CONNECTED).wait_for()
        ids = await board.locator("#board > li").evaluate_all("els => els.map(e => e.dataset.packageId)")
        assert ids == [second["id"], first["id"]]  # amber before green, each once

        await world.broker("POST", f"/api/packages/{first['id']}/withdraw", {"reason": "family arranged care"}, expect=200)
        await board.locator(f'li[data-package-id="{first["id"]}"]').wait_for(state="detached", timeout=10_000)
    finally:
        own.stop()
