"""Browser fixtures: Debian's Chromium, headless, driven by Playwright (never its own
browser download). Each test gets fresh browser contexts; every request a page makes that
leaves this machine is refused and fails the test, and so does any console error."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, AsyncIterator
from urllib.parse import urlsplit

import pytest
import pytest_asyncio

from tests.support import ROOT

# The line every live page shows while its socket is open (web/static/js/live.js).
CONNECTED = "Connected: this page updates automatically."

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = Path(os.environ.get("SCREENSHOTS_DIR", "")) if os.environ.get("SCREENSHOTS_DIR") else None


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)")
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield chromium
        await chromium.close()


class Browsing:
    """Opens pages as a person would, and records what must not happen."""

    def __init__(self, browser: Any, base_url: str) -> None:
        self.browser = browser
        self.base_url = base_url
        self.contexts: list[Any] = []
        self.problems: list[str] = []

    async def page(self, width: int = 1280, height: int = 900) -> Any:
        context = await self.browser.new_context(base_url=self.base_url, viewport={"width": width, "height": height})
        self.contexts.append(context)
        await context.route("**/*", self._only_local)
        page = await context.new_page()
        page.on("console", lambda msg: self._console(msg, page))
        page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc} ({page.url})"))
        return page

    def _console(self, msg: Any, page: Any) -> None:
        if msg.type != "error":
            return
        where = (msg.location or {}).get("url", "")
        path = urlsplit(where).path
        if "Failed to load resource" in msg.text and re.search(r"status of (401|409|422|423)\b", msg.text) and (path == "/login" or path.startswith(("/api/", "/broker/", "/provider/history"))):
            return  # refusals the pages show as messages beside the fields, as they should
        if "Failed to load resource" in msg.text and re.search(r"status of (403|404|422)\b", msg.text) and path.startswith("/admin/"):
            return  # the back office's forms re-shown with their errors, its 403 and 404 pages
        self.problems.append(f"console: {msg.text} ({where or page.url})")

    async def _only_local(self, route: Any) -> None:
        host = urlsplit(route.request.url).hostname
        if host in ("127.0.0.1", "localhost") or route.request.url.startswith("data:"):
            await route.continue_()
        else:
            self.problems.append(f"external request: {route.request.url}")
            await route.abort()

    async def signed_in(self, email: str, password: str, width: int = 1280, base_url: str = "") -> Any:
        page = await self.page(width)
        await page.goto(f"{base_url}/login")
        await page.get_by_label("Email").fill(email)
        await page.get_by_label("Password").fill(password)
        await page.get_by_role("button", name="Sign in").click()
        await page.wait_for_url(lambda url: "/login" not in url)
        return page

    async def close(self) -> None:
        for context in self.contexts:
            await context.close()


@pytest_asyncio.fixture(loop_scope="session")
async def browsing(browser: Any, clean: Any) -> AsyncIterator[Browsing]:
    b = Browsing(browser, clean.url())
    yield b
    await b.close()
    # Benign: a socket cut when the test closes its pages.
    problems = [p for p in b.problems if "WebSocket" not in p]
    assert not problems, "\n".join(problems)


async def axe_violations(page: Any) -> list[dict]:
    """axe-core's serious and critical violations on the page as it is now (WCAG 2.2 AA rules)."""
    if not await page.evaluate("() => typeof window.axe !== 'undefined'"):
        await page.evaluate(AXE.read_text(encoding="utf-8"))
    result = await page.evaluate(
        """async () => { const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}});
           return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)})); }"""
    )
    return [v for v in result if v["impact"] in ("serious", "critical")]


async def no_horizontal_scroll(page: Any) -> bool:
    return await page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


async def shoot(page: Any, name: str) -> None:
    """With SCREENSHOTS_DIR set, save a full-page PNG (for people to look at; not committed)."""
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


async def fill_date(page: Any, name: str, iso_day: str) -> None:
    """Type an ISO day into a GOV.UK date input's three fields, as a person would."""
    year, month, day = iso_day.split("-")
    for part, value in (("day", str(int(day))), ("month", str(int(month))), ("year", year)):
        await page.locator(f"[name='{name}-{part}']").fill(value)
