"""A package's history as a broker reads it: a match says the package reached the provider's
board, each message says which channel reached which user of which provider, message
receipts wait behind the same "show deliveries" checkbox as the live feed, and every event
of the audit trail is one line, once."""

from __future__ import annotations

import asyncio
import re
import time

import pytest

from tests.conftest import World
from tests.pages.conftest import CONNECTED, Browsing
from tests.pages.test_every_page import BROKER, check
from tests.support import PASSWORD

PROVIDERS = "Alpha Care|Beta Homecare|Gamma Support"


async def history_with_deliveries(world: World, package_id: str, count: int) -> list[dict]:
    """The package's audit trail once `count` messages about it have been sent."""
    deadline = time.monotonic() + 30
    while True:
        history = await world.broker("GET", f"/api/packages/{package_id}/history", expect=200)
        if sum(e["type"] == "notification.sent" for e in history) >= count:
            return history
        assert time.monotonic() < deadline, f"fewer than {count} messages sent: {[e['type'] for e in history]}"
        await asyncio.sleep(0.2)


@pytest.mark.timeout(180)
@pytest.mark.parametrize("width", [375, 1280])
async def test_history_says_who_was_matched_and_who_each_message_reached(world: World, browsing: Browsing, width: int) -> None:
    package = await world.post(urgency="amber", reference="HCC-HIST-1")
    # Amber: every user of the three matched providers is emailed.
    history = await history_with_deliveries(world, package["id"], 3)
    ids = [e["id"] for e in history]
    assert len(ids) == len(set(ids))
    sent = [(e["data"]["notification_id"], e["type"]) for e in history if e["type"].startswith("notification.")]
    assert len(sent) == len(set(sent)), "a message is recorded sent twice"

    page = await browsing.signed_in(BROKER, PASSWORD, width=width)
    await page.goto(f"/broker/packages/{package['id']}")
    items = page.locator("#history > li")
    await page.locator('#history > li[data-type="notification.sent"]').first.wait_for(state="attached")
    texts = [" ".join(t.split()) for t in await items.all_inner_texts()]
    assert not any(re.search(r"\bSent\b", t) for t in texts), texts  # neither "Sent … to …" nor "Sent: email to …"
    matched = [t for t in texts if "Matched to" in t]
    assert len(matched) == 3 and all(re.search(rf"Matched to ({PROVIDERS}): the package is on its board\.", t) for t in matched), matched
    # Every event of the trail once, in its order.
    assert await items.evaluate_all("els => els.map(e => e.dataset.eventId)") == await page.evaluate(
        "async (id) => (await (await fetch(`/api/packages/${id}/history`)).json()).map(e => e.id)", package["id"])

    # Message receipts wait behind the checkbox, as in the live feed.
    receipts = page.locator('#history > li[data-type="notification.sent"]')
    assert await receipts.count() >= 3
    assert await page.locator('#history > li[data-type="notification.sent"]:not([hidden])').count() == 0
    await check(page, "broker-package-history", width)
    await page.get_by_label("Show email, text and push message deliveries").check()
    await receipts.first.wait_for()
    lines = [" ".join(t.split()) for t in await receipts.all_inner_texts()]
    for line in lines:
        assert re.search(rf"^.*\d\d:\d\d ?Email sent to \S+@\S+ \(({PROVIDERS})\): new package\.$", line), line
    assert {re.search(rf"\(({PROVIDERS})\)", line).group(1) for line in lines} == set(PROVIDERS.split("|"))
    await check(page, "broker-package-history-deliveries", width)
    await page.get_by_label("Show email, text and push message deliveries").uncheck()
    assert await page.locator('#history > li[data-type="notification.sent"]:not([hidden])').count() == 0


async def test_live_feed_names_the_provider_a_message_reached(world: World, browsing: Browsing) -> None:
    page = await browsing.signed_in(BROKER, PASSWORD)
    await page.get_by_text(CONNECTED).wait_for()
    await page.get_by_label("Show email, text and push message deliveries").check()
    await world.post(urgency="amber", reference="HCC-FEED-1")
    line = page.locator('#feed > li[data-type="notification.sent"]').first
    await line.wait_for(timeout=20_000)
    assert re.search(rf"Email sent to \S+@\S+ \(({PROVIDERS})\): new package\.", await line.inner_text())
