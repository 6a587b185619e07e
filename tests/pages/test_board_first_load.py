"""The board on a bad line: rendered on the server (it lists the packages with JavaScript
off), compressed, and the first load of /provider (page, styles, scripts, fonts, socket
handshake) stays within 100 KiB transferred."""

from __future__ import annotations

from typing import Any

from tests.conftest import World
from tests.pages.conftest import CONNECTED, Browsing, axe_violations, shoot
from tests.support import PASSWORD

ALPHA = "staff.2@alpha-care.test"
BUDGET = 100 * 1024


async def signed_in_context(browsing: Browsing, world: World, **options: Any) -> Any:
    context = await browsing.browser.new_context(base_url=browsing.base_url, **options)
    browsing.contexts.append(context)
    await context.add_cookies([{"name": "session", "value": world.users["Alpha Care"].token, "url": browsing.base_url}])
    return context


async def test_board_without_javascript_lists_the_packages(world: World, browsing: Browsing) -> None:
    red = await world.post(urgency="red", specialisms=["dementia"])
    green = await world.post(urgency="green")
    context = await signed_in_context(browsing, world, java_script_enabled=False, viewport={"width": 375, "height": 800})
    page = await context.new_page()
    await page.goto("/provider")
    cards = page.locator("#board > li")
    assert await cards.count() == 2
    assert await cards.nth(0).get_attribute("data-package-id") == red["id"]  # most urgent first
    assert await cards.nth(1).get_attribute("data-package-id") == green["id"]
    text = await cards.nth(0).inner_text()
    assert "Red: Respond within 1 hour" in text and "10.5 hours a week" in text and "Dementia" in text
    assert "Respond by" in text and "SG1 1AA" not in await page.content()
    assert "reload for newer ones" in await page.locator("#live-status").inner_text()
    await shoot(page, "provider-board-nojs-375")


async def test_first_load_of_the_board_is_compressed_and_within_100_kib(world: World, browsing: Browsing) -> None:
    for urgency in ("red", "amber", "green", "amber"):
        await world.post(urgency=urgency)
    context = await signed_in_context(browsing, world, viewport={"width": 375, "height": 800})
    page = await context.new_page()
    sizes: list[tuple[str, int, str]] = []

    async def finished(request: Any) -> None:
        response = await request.response()
        measured = await request.sizes()
        encoding = (await response.all_headers()).get("content-encoding", "") if response else ""
        sizes.append((request.url, measured["responseBodySize"] + measured["responseHeadersSize"], encoding))

    page.on("requestfinished", finished)
    await page.goto("/provider", wait_until="networkidle")
    await page.get_by_text(CONNECTED).wait_for()
    await page.wait_for_load_state("networkidle")
    total = sum(size for _, size, _ in sizes)
    print(f"provider_first_load_bytes={total} kib={total / 1024:.1f} requests={len(sizes)}")
    for url, size, encoding in sorted(sizes, key=lambda s: -s[1])[:8]:
        print(f"  {size:>7} {encoding or '-':5} {url}")
    assert total <= BUDGET, f"{total} bytes transferred"
    big_text = [(url, enc) for url, size, enc in sizes if size > 2048 and url.endswith((".css", ".js", "/provider"))]
    assert big_text and all(enc == "gzip" for _, enc in big_text), big_text
    assert await page.locator("#board > li").count() == 4
    assert await axe_violations(page) == []
