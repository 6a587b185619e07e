"""Preferences that cannot silently fail: the API takes a phone in E.164 only (the contract:
"Phone in E.164 (+447700900123) else 422"; the settings page turns UK forms into E.164, see
tests/pages/test_every_page.py); text messages ticked with no number is an error that says so."""

from __future__ import annotations

import pytest

from tests.conftest import World


async def test_an_e164_number_is_stored(world: World) -> None:
    user = world.users["Alpha Care"]
    updated = await user("PUT", "/api/me/preferences", {"phone": "+447700900123"}, expect=200)
    assert updated["preferences"]["phone"] == "+447700900123"
    assert (await user("GET", "/api/me", expect=200))["preferences"]["phone"] == "+447700900123"


@pytest.mark.parametrize("bad", ["07700 900123", "07700900123", "+44 7700 900123", "0044 7700 900123", "(07700) 900-123",
                                 "07700 9001", "hello", "+44 12", 7700900123])
async def test_a_number_not_in_e164_is_refused_with_an_example(world: World, bad: object) -> None:
    user = world.users["Alpha Care"]
    response = await user.raw("PUT", "/api/me/preferences", json={"phone": bad})
    assert response.status_code == 422, bad
    error = response.json()["error"]
    assert error["code"] == "invalid_fields" and "+447700900123" in error["fields"]["phone"]
    assert (await user("GET", "/api/me", expect=200))["preferences"]["phone"] is None


async def test_ticking_text_messages_without_a_phone_is_an_error_that_says_so(world: World) -> None:
    user = world.users["Beta Homecare"]
    response = await user.raw("PUT", "/api/me/preferences", json={"channels": {"red": ["ws", "sms", "email"]}})
    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert "mobile number" in fields["phone"] and "red" in fields["channels"]
    me = await user("GET", "/api/me", expect=200)
    assert me["preferences"]["phone"] is None  # nothing saved
    # With a number in the same request it is fine; removing the number while texts are ticked is not.
    ok = await user("PUT", "/api/me/preferences", {"phone": "+447700900124", "channels": {"red": ["ws", "sms"]}}, expect=200)
    assert ok["preferences"]["phone"] == "+447700900124" and ok["preferences"]["channels"]["red"] == ["ws", "sms"]
    response = await user.raw("PUT", "/api/me/preferences", json={"phone": None})
    assert response.status_code == 422 and "mobile number" in response.json()["error"]["fields"]["phone"]
    # Unticking texts and removing the number together is fine.
    cleared = await user("PUT", "/api/me/preferences", {"phone": None, "channels": {"red": ["ws", "email"]}}, expect=200)
    assert cleared["preferences"]["phone"] is None
