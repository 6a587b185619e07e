"""The integrations page: an admin registers the council's receiver in the browser, copies
the secret once, watches its deliveries arrive and sends one again. axe-core and no sideways
scroll at 375 and 1280 px; nothing requested from outside."""

from __future__ import annotations

import pytest

from tests.conftest import World
from tests.pages.conftest import Browsing, axe_violations, no_horizontal_scroll, shoot
from tests.support import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.waits import eventually
from tests.webhooks.receiver import Receiver


async def check(page, name: str, width: int) -> None:  # type: ignore[no-untyped-def]
    await page.wait_for_load_state("networkidle")
    assert await no_horizontal_scroll(page), f"{name} scrolls sideways at {width} px"
    assert await axe_violations(page) == [], name
    await shoot(page, f"{name}-{width}")


@pytest.mark.parametrize("width", [375, 1280])
async def test_admin_adds_a_receiver_sees_deliveries_and_sends_one_again(world: World, browsing: Browsing, width: int) -> None:
    receiver = await Receiver().start()
    try:
        page = await browsing.signed_in(ADMIN_EMAIL, ADMIN_PASSWORD, width=width)
        await page.goto("/admin/webhooks")
        await page.get_by_text("No receiver yet.").wait_for()
        await check(page, "admin-webhooks", width)

        # Nothing chosen, no address: both errors, in words, linked from the summary.
        ticked = page.locator("input[name=events]:checked")
        while await ticked.count():
            await ticked.first.uncheck()
        await page.get_by_role("button", name="Add receiver").click()
        summary = page.locator(".govuk-error-summary")
        await summary.get_by_text("Enter the receiver's full address").wait_for()
        await summary.get_by_text("Select the events the receiver needs").wait_for()
        await check(page, "admin-webhooks-errors", width)

        await page.get_by_label("Receiver's address").fill(receiver.url)
        await page.get_by_label("A package is posted", exact=True).check()
        await page.get_by_role("button", name="Add receiver").click()
        await page.get_by_role("heading", name="Receiver added").wait_for()
        receiver.secret = await page.get_by_label("Signing secret").input_value()
        assert receiver.secret.startswith("whsec_")
        await check(page, "admin-webhook-secret", width)

        await world.post()

        async def acknowledged() -> bool:
            return len(receiver.acknowledged()) == 1

        await eventually(acknowledged, "the receiver acknowledging the posted package")
        await page.get_by_role("link", name="See this receiver's deliveries").click()
        await page.locator("#deliveries").get_by_text("Delivered").wait_for()
        await check(page, "admin-webhook-deliveries", width)

        await page.get_by_role("button", name="Send again").click()
        await page.get_by_text("The delivery will be sent again").wait_for()

        async def twice() -> bool:
            return len(receiver.acknowledged()) == 2

        await eventually(twice, "the delivery sent again")
        assert receiver.bad_signatures == 0
        assert len({r.webhook_id for r in receiver.acknowledged()}) == 1

        await page.goto("/admin/webhooks")
        await page.get_by_text("Remove", exact=False).first.click()
        await page.get_by_role("button", name="Remove this receiver").click()
        await page.get_by_text("The receiver is removed.").wait_for()
        assert await world.admin("GET", "/api/webhooks", expect=200) == []
    finally:
        await receiver.stop()


async def test_a_receiver_that_is_down_is_explained_in_words(world: World, browsing: Browsing) -> None:
    receiver = Receiver()  # never started: connections are refused
    created = await world.admin("POST", "/api/webhooks", {"url": receiver.url, "events": ["package.posted"]}, expect=201)
    await world.post()

    async def tried() -> bool:
        deliveries = await world.admin("GET", f"/api/webhooks/{created['id']}/deliveries", expect=200)
        return bool(deliveries) and deliveries[0]["attempts"] >= 1

    await eventually(tried, "a first try at the receiver that is down")
    page = await browsing.signed_in(ADMIN_EMAIL, ADMIN_PASSWORD, width=375)
    await page.goto(f"/admin/webhooks/{created['id']}")
    await page.get_by_text("could not connect: the receiver is down or refuses connections").wait_for()
    await page.get_by_text("and on until it is answered").wait_for()
    await check(page, "admin-webhook-down", 375)
