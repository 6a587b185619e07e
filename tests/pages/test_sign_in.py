"""Signing in and out in a real browser: messages, the session cookie, CSRF."""

from __future__ import annotations

import httpx

from tests.conftest import World
from tests.pages.conftest import Browsing, axe_violations, shoot
from tests.support import PASSWORD


async def test_wrong_password_then_sign_in_and_out(world: World, browsing: Browsing) -> None:
    email = "staff.2@alpha-care.test"
    page = await browsing.page()
    await page.goto("/provider")
    assert "/login" in page.url  # not signed in: sent to sign in, then back
    assert await axe_violations(page) == []
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill("not-the-password")
    await page.get_by_role("button", name="Sign in").click()
    alert = page.get_by_role("alert")
    await alert.wait_for()
    assert "Enter a correct email address and password" in await alert.inner_text()
    assert await page.get_by_label("Email").input_value() == email
    assert await axe_violations(page) == []
    await shoot(page, "login-error-1280")

    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url("**/provider")
    await page.get_by_role("heading", name="Packages for you").wait_for()
    cookies = {c["name"]: c for c in await page.context.cookies()}
    session = cookies["session"]
    assert session["httpOnly"] and session["sameSite"] == "Lax"
    assert not cookies["csrf"]["httpOnly"]
    # The cookie holds an API token like the API login's.
    async with httpx.AsyncClient(base_url=browsing.base_url) as http:
        me = await http.get("/api/me", headers={"Authorization": f"Bearer {session['value']}"})
        assert me.json()["email"] == email

    await page.get_by_role("button", name="Sign out").click()
    await page.wait_for_url("**/login?signed_out=1")
    async with httpx.AsyncClient(base_url=browsing.base_url) as http:
        assert (await http.get("/api/me", headers={"Authorization": f"Bearer {session['value']}"})).status_code == 401


async def test_locked_account_message(world: World, browsing: Browsing) -> None:
    page = await browsing.page(width=375)
    await page.goto("/login")
    for _ in range(5):
        await page.get_by_label("Email").fill("staff.3@beta-homecare.test")
        await page.get_by_label("Password").fill("wrong-password-here")
        await page.get_by_role("button", name="Sign in").click()
        await page.get_by_role("alert").wait_for()
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    assert "account is locked" in await page.get_by_role("alert").inner_text()


async def test_cookie_requests_need_the_csrf_token(world: World, browsing: Browsing) -> None:
    page = await browsing.signed_in("broker@council.test", PASSWORD)
    session = {c["name"]: c["value"] for c in await page.context.cookies()}
    async with httpx.AsyncClient(base_url=browsing.base_url, cookies={"session": session["session"]}) as http:
        refused = await http.post("/api/areas", json={"name": "Forged", "districts": ["SG5"]})
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "csrf_failed"
        http.cookies.set("csrf", session["csrf"])
        allowed = await http.post("/api/areas", json={"name": "Allowed", "districts": ["SG5"]}, headers={"X-CSRF-Token": session["csrf"]})
        assert allowed.status_code == 201, allowed.text
    # A signed-in page cannot be signed out of by another site's form either.
    async with httpx.AsyncClient(base_url=browsing.base_url, cookies={"session": session["session"], "csrf": session["csrf"]}) as http:
        assert (await http.post("/logout", data={"csrf_token": "forged-token-forged-token"})).status_code == 403
    # Bearer-token clients are not cookie-authenticated: no token needed.
    await world.broker("POST", "/api/areas", {"name": "Bearer", "districts": ["SG7"]}, expect=201)
