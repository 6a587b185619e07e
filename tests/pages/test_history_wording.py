"""A package's history says why a tier was released and why a provider is told twice: a
broker releasing early is not "nobody offered", and a matched provider declaring availability
that fits is not a second match."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import World
from tests.pages.conftest import Browsing
from tests.pages.test_every_page import BROKER
from tests.support import PASSWORD
from tests.tiered import tiered, tiered_clean, tiered_service  # noqa: F401 (fixtures)


@pytest.mark.timeout(180)
async def test_history_tells_early_release_and_availability_apart(browser, tiered: World) -> None:  # noqa: F811
    w = tiered
    package = await w.post(urgency="amber")
    until = (dt.date.today() + dt.timedelta(days=7)).isoformat()
    slot = {"districts": ["SG1"], "days": ["mon", "tue", "wed", "thu", "fri"], "bands": ["morning"], "carers": 1, "valid_until": until}
    made = await w.users["Alpha Care"]("POST", "/api/availability", slot, expect=201)
    assert made["packages"] == [package["id"]]
    await w.broker("POST", f"/api/packages/{package['id']}/release-next-tier", expect=200)

    browsing = Browsing(browser, w.service.url())
    try:
        page = await browsing.signed_in(BROKER, PASSWORD, width=375)
        await page.goto(f"/broker/packages/{package['id']}")
        await page.locator('#history > li[data-type="package.wave_released"]').wait_for()
        texts = [" ".join(t.split()) for t in await page.locator("#history > li").all_inner_texts()]
        released = [t for t in texts if "tier" in t]
        assert len(released) == 1 and "Released early" in released[0] and "Nobody offered" not in released[0], texts
        assert "secondary tier (wave 2, 1 provider)" in released[0], released
        assert sum("Alpha Care declared availability that fits this package" in t for t in texts) == 1, texts
        assert sum("Matched to Alpha Care" in t for t in texts) == 1, texts
    finally:
        await browsing.close()
    assert not [p for p in browsing.problems if "WebSocket" not in p], browsing.problems
