"""Accounts: sign-in, lockout and unlock, roles, team logins, preferences."""

from __future__ import annotations

import asyncio

from tests.conftest import Api, World, login
from tests.support import ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD


async def test_login_returns_token_and_user(world: World) -> None:
    me = await world.broker("GET", "/api/me", expect=200)
    assert me["email"] == "broker@council.test"
    assert me["role"] == "broker"
    assert me["preferences"]["channels"]["red"] == ["ws", "sms", "email"]


async def test_wrong_password_and_unknown_email_answer_alike(world: World) -> None:
    anon = Api(world.service.url())
    wrong = await anon.raw("POST", "/api/auth/login", json={"email": "broker@council.test", "password": "not-the-password"})
    unknown = await anon.raw("POST", "/api/auth/login", json={"email": "nobody@council.test", "password": "not-the-password"})
    await anon.aclose()
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["error"]["code"] == unknown.json()["error"]["code"] == "invalid_credentials"


async def test_lockout_after_five_failures_even_with_right_password_then_unlock(world: World) -> None:
    anon = Api(world.service.url())
    creds = {"email": "broker@council.test", "password": "wrong-password-xx"}
    statuses = [(await anon.raw("POST", "/api/auth/login", json=creds)).status_code for _ in range(5)]
    assert statuses == [401] * 5
    right = await anon.raw("POST", "/api/auth/login", json={"email": "broker@council.test", "password": PASSWORD})
    assert right.status_code == 423
    assert right.json()["error"]["code"] == "account_locked"
    broker_id = world.broker.user["id"]
    assert (await world.broker.raw("POST", f"/api/users/{broker_id}/unlock")).status_code == 403
    await world.admin("POST", f"/api/users/{broker_id}/unlock", expect=204)
    again = await anon.raw("POST", "/api/auth/login", json={"email": "broker@council.test", "password": PASSWORD})
    assert again.status_code == 200
    await anon.aclose()


async def test_lock_expires_after_lockout_s(world: World) -> None:
    anon = Api(world.service.url())
    for _ in range(5):
        await anon.raw("POST", "/api/auth/login", json={"email": "broker@council.test", "password": "wrong-password-xx"})
    assert (await anon.raw("POST", "/api/auth/login", json={"email": "broker@council.test", "password": PASSWORD})).status_code == 423
    await asyncio.sleep(2.2)  # LOCKOUT_S=2 in the test service
    assert (await anon.raw("POST", "/api/auth/login", json={"email": "broker@council.test", "password": PASSWORD})).status_code == 200
    await anon.aclose()


async def test_success_resets_the_failure_count(world: World) -> None:
    anon = Api(world.service.url())
    for _ in range(4):
        await anon.raw("POST", "/api/auth/login", json={"email": "broker@council.test", "password": "wrong-password-xx"})
    assert (await anon.raw("POST", "/api/auth/login", json={"email": "broker@council.test", "password": PASSWORD})).status_code == 200
    for _ in range(4):
        await anon.raw("POST", "/api/auth/login", json={"email": "broker@council.test", "password": "wrong-password-xx"})
    assert (await anon.raw("POST", "/api/auth/login", json={"email": "broker@council.test", "password": PASSWORD})).status_code == 200
    await anon.aclose()


async def test_logout_revokes_the_token(world: World) -> None:
    client = await login(world.service.url(), "broker@council.test", PASSWORD)
    await client("GET", "/api/me", expect=200)
    await client("POST", "/api/auth/logout", expect=204)
    response = await client.raw("GET", "/api/me")
    assert response.status_code == 401
    await client.aclose()


async def test_not_logged_in_is_401(world: World) -> None:
    anon = Api(world.service.url())
    for method, path in [("GET", "/api/me"), ("GET", "/api/packages"), ("POST", "/api/packages"), ("GET", "/api/providers")]:
        response = await anon.raw(method, path)
        assert response.status_code == 401, (method, path)
        assert response.json()["error"]["code"] == "not_logged_in"
    bad = Api(world.service.url(), token="forged-token")
    assert (await bad.raw("GET", "/api/me")).status_code == 401
    await anon.aclose()
    await bad.aclose()


async def test_role_checks(world: World) -> None:
    provider = world.users["Alpha Care"]
    for method, path, body in [
        ("POST", "/api/users", {"email": "x@y.test", "password": PASSWORD, "role": "broker"}),
        ("POST", "/api/areas", {"name": "X", "districts": ["SG5"]}),
        ("POST", "/api/providers", {"name": "X"}),
        ("GET", "/api/providers", None),
        ("POST", "/api/packages", {}),
    ]:
        response = await provider.raw(method, path, json=body)
        assert response.status_code == 403, (method, path, response.text)
        assert response.json()["error"]["code"] == "forbidden"
    # a broker cannot create users: that is an admin's job
    assert (await world.broker.raw("POST", "/api/users", json={"email": "x@y.test", "password": PASSWORD, "role": "broker"})).status_code == 403
    # a provider reads its own record, and nobody else's
    own = world.providers["Alpha Care"]["id"]
    other = world.providers["Beta Homecare"]["id"]
    assert (await provider.raw("GET", f"/api/providers/{own}")).status_code == 200
    assert (await provider.raw("GET", f"/api/providers/{other}")).status_code == 404


async def test_user_validation(world: World) -> None:
    short = await world.admin.raw("POST", "/api/users", json={"email": "a@b.test", "password": "short", "role": "broker"})
    assert short.status_code == 422 and "password" in short.json()["error"]["fields"]
    no_provider = await world.admin.raw("POST", "/api/users", json={"email": "a@b.test", "password": PASSWORD, "role": "provider", "provider_id": "prv_missing"})
    assert no_provider.status_code == 422 and "provider_id" in no_provider.json()["error"]["fields"]
    bad_role = await world.admin.raw("POST", "/api/users", json={"email": "a@b.test", "password": PASSWORD, "role": "king"})
    assert bad_role.status_code == 422 and "role" in bad_role.json()["error"]["fields"]
    dup = await world.admin.raw("POST", "/api/users", json={"email": "broker@council.test", "password": PASSWORD, "role": "broker"})
    assert dup.status_code == 409


async def test_team_logins_share_the_provider(world: World) -> None:
    provider_id = world.providers["Alpha Care"]["id"]
    await world.admin("POST", "/api/users", {"email": "second@alpha.test", "password": PASSWORD, "role": "provider", "provider_id": provider_id}, expect=201)
    second = await login(world.service.url(), "second@alpha.test", PASSWORD)
    package = await world.post()
    first_view = await world.users["Alpha Care"]("GET", f"/api/packages/{package['id']}", expect=200)
    second_view = await second("GET", f"/api/packages/{package['id']}", expect=200)
    assert first_view["id"] == second_view["id"] == package["id"]
    await second.aclose()


async def test_preferences(world: World) -> None:
    user = world.users["Alpha Care"]
    updated = await user("PUT", "/api/me/preferences", {
        "phone": "+447700900123", "channels": {"amber": ["ws", "sms"]},
        "quiet_hours": {"start": "22:00", "end": "07:00", "tz": "Europe/London"},
    }, expect=200)
    assert updated["preferences"]["phone"] == "+447700900123"
    assert updated["preferences"]["channels"]["amber"] == ["ws", "sms"]
    assert updated["preferences"]["channels"]["red"] == ["ws", "sms", "email"]
    me = await user("GET", "/api/me", expect=200)
    assert me["preferences"]["quiet_hours"]["start"] == "22:00"
    for bad in [{"phone": "07700 9001"}, {"channels": {"red": ["pigeon"]}}, {"channels": {"purple": ["ws"]}},
                {"quiet_hours": {"start": "25:00", "end": "07:00"}}, {"quiet_hours": {"start": "22:00", "end": "07:00", "tz": "Mars/Base"}}]:
        response = await user.raw("PUT", "/api/me/preferences", json=bad)
        assert response.status_code == 422, bad
        assert response.json()["error"]["fields"], bad


async def test_admin_bootstrap_exists(clean) -> None:
    admin = await login(clean.url(), ADMIN_EMAIL, ADMIN_PASSWORD)
    me = await admin("GET", "/api/me", expect=200)
    assert me["role"] == "admin"
    await admin.aclose()


async def test_failed_sign_ins_from_one_address_are_rate_limited(redis_server) -> None:
    from tests.support import Service

    svc = Service(redis_server.url(8), env={"LOGIN_RATE_PER_MIN": "8"}).start()
    anon = Api(svc.url())
    try:
        # Correct sign-ins do not spend the address's budget: scripts and an office behind one
        # address sign in many times a minute.
        for _ in range(12):
            right = await anon.raw("POST", "/api/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
            assert right.status_code == 200, right.text
        statuses = []
        for n in range(12):
            response = await anon.raw("POST", "/api/auth/login", json={"email": f"user{n}@x.test", "password": "whatever-password"})
            statuses.append(response.status_code)
        assert statuses[:8] == [401] * 8
        assert set(statuses[8:]) == {429}
        assert response.json()["error"]["code"] == "rate_limited"
        assert int(response.headers["retry-after"]) > 0
        # Past the budget even the right password waits out the minute.
        right = await anon.raw("POST", "/api/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        assert right.status_code == 429
    finally:
        await anon.aclose()
        svc.stop()


def test_password_hash_cost_comes_from_settings() -> None:
    """Production cost by default; the test services run a cheap one (tests/support.py)."""
    from accounts import AccountStore
    from config import Settings

    production = AccountStore(None, Settings.from_env({}))  # type: ignore[arg-type]  # hashing needs no Redis
    assert production._decoy_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    cheap = AccountStore(None, Settings.from_env({"ARGON2_TIME_COST": "1", "ARGON2_MEMORY_KIB": "64"}))  # type: ignore[arg-type]
    stored = cheap.hasher.hash(PASSWORD)
    assert stored.startswith("$argon2id$v=19$m=64,t=1,p=4$")
    # A hash records its own cost: either store verifies the other's hashes.
    assert production.hasher.verify(stored, PASSWORD)
    assert cheap.hasher.verify(production.hasher.hash(PASSWORD), PASSWORD)
