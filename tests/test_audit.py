"""The audit trail: every administrative change and its entry commit in one MULTI/EXEC.

A Redis user allowed everything but XADD stands in for "Redis refused the audit write":
the stores queue the entry inside the change's own transaction, so Redis discards the whole
transaction (EXECABORT) and neither the change nor an entry lands. Were the entry written
after the change, in a call of its own, the change would be there with no entry. The same
change by a full user lands with exactly one entry. Real Redis throughout (its own database
of the session's server); then through the running service: a change made through the API
is in the audit API and in the audit page's CSV exactly once."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import time
from dataclasses import dataclass
from typing import Any, AsyncIterator, Awaitable, Callable

import httpx
import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError

import geo
from accounts import AccountStore, EmailTaken
from config import Settings, keys
from core import AuditNote, EventLog, new_id
from matcher import AreaInput, AreaPatch, AreaStore, ProviderInput, ProviderPatch, ProviderStore
from tests.conftest import World, provider_body
from tests.support import GEO_CACHE, RedisServer
from webhooks import Delivery, DeliveryLog, Endpoints, UnknownEndpoint

DB = 13  # the service's tests use database 0 of the same server
REFUSING_USER = "no-audit-writes"
NOTE = AuditNote(actor_id="usr_admin", actor_email="admin@council.test", reason="Monitoring visit passed")
POSTCODES = geo.PostcodeIndex.load(GEO_CACHE)
CHEAP = Settings.from_env({"ARGON2_TIME_COST": "1", "ARGON2_MEMORY_KIB": "64"})


@dataclass
class Stores:
    redis: Redis
    areas: AreaStore
    providers: ProviderStore
    accounts: AccountStore
    endpoints: Endpoints
    deliveries: DeliveryLog

    @classmethod
    def on(cls, redis: Redis) -> Stores:
        areas = AreaStore(redis, POSTCODES)
        return cls(redis, areas, ProviderStore(redis, POSTCODES, areas), AccountStore(redis, CHEAP),
                   Endpoints(redis, EventLog(redis, 3600)), DeliveryLog(redis))


@pytest.fixture
async def full(redis_server: RedisServer) -> AsyncIterator[Stores]:
    redis = Redis.from_url(redis_server.url(DB), decode_responses=True)
    await redis.flushdb()
    yield Stores.on(redis)
    await redis.flushdb()
    await redis.aclose()


@pytest.fixture
async def refusing(redis_server: RedisServer, full: Stores) -> AsyncIterator[Stores]:
    """The same stores on a connection whose every XADD Redis refuses (an ACL user)."""
    await full.redis.execute_command("ACL", "SETUSER", REFUSING_USER, "reset", "on", ">not-a-secret-1", "~*", "&*", "+@all", "-xadd")
    redis = Redis.from_url(f"redis://{REFUSING_USER}:not-a-secret-1@127.0.0.1:{redis_server.port}/{DB}", decode_responses=True)
    yield Stores.on(redis)
    await redis.aclose()
    await full.redis.execute_command("ACL", "DELUSER", REFUSING_USER)


async def everything_but_the_trail(redis: Redis) -> dict[str, Any]:
    """Every key's type and value, the audit stream left out: what a change may alter."""
    found: dict[str, Any] = {}
    for key in sorted(await redis.keys("*")):
        if key == keys.AUDIT:
            continue
        kind = await redis.type(key)
        read = {"string": redis.get, "hash": redis.hgetall, "set": redis.smembers, "stream": redis.xrange,
                "list": lambda k: redis.lrange(k, 0, -1), "zset": lambda k: redis.zrange(k, 0, -1, withscores=True)}[kind]
        found[key] = (kind, await read(key))
    return found


async def trail(redis: Redis) -> list[dict[str, Any]]:
    return [json.loads(raw["entry"]) for _, raw in await redis.xrange(keys.AUDIT)]


# Each kind of administrative change: a set-up (by the full user, audited or not), then the
# change itself on the stores given, which must write the entry with this action.
Setup = Callable[[Stores], Awaitable[dict[str, Any]]]
Change = Callable[[Stores, dict[str, Any]], Awaitable[Any]]


async def nothing(s: Stores) -> dict[str, Any]:
    return {}


async def an_area(s: Stores) -> dict[str, Any]:
    return {"area": await s.areas.create(AreaInput.model_validate({"name": "Stevenage", "districts": ["SG1"]}), note=None)}


async def a_provider(s: Stores) -> dict[str, Any]:
    await an_area(s)
    return {"provider": await s.providers.create(ProviderInput.model_validate(provider_body("Alpha Care")), note=None)}


async def a_user(s: Stores) -> dict[str, Any]:
    return {"user": await s.accounts.create("sam.jones@council.test", "a-long-password-1", "broker", None, note=None)}


async def a_locked_user(s: Stores) -> dict[str, Any]:
    made = await a_user(s)
    await s.redis.set(keys.login_lock(made["user"].id), "1", ex=600)
    return made


async def a_signed_in_user(s: Stores) -> dict[str, Any]:
    made = await a_user(s)
    await s.accounts.login("sam.jones@council.test", "a-long-password-1")
    return made


async def a_deactivated_user(s: Stores) -> dict[str, Any]:
    made = await a_user(s)
    await s.accounts.set_active(made["user"].id, False, note=NOTE)
    return made


async def an_endpoint(s: Stores) -> dict[str, Any]:
    return {"endpoint": await s.endpoints.register("https://finance.example.test/hooks", ["package.posted"], NOTE)}


async def a_delivered_delivery(s: Stores) -> dict[str, Any]:
    made = await an_endpoint(s)
    delivery = Delivery(id=new_id("dlv"), endpoint_id=made["endpoint"].id, event_id="1700000000000-0", type="package.posted",
                        lane="pkg_x", body="{}", created_at=time.time())
    assert await s.deliveries.plan(delivery)
    assert (await s.deliveries.claim(delivery.id, 30, "lease-1")).outcome == "claimed"
    assert await s.deliveries.delivered(delivery, "lease-1", 200)
    return {**made, "delivery": delivery}


async def resend(s: Stores, made: dict[str, Any]) -> None:
    assert await s.deliveries.resend(made["endpoint"], made["delivery"], NOTE)


KINDS: dict[str, tuple[Setup, Change]] = {
    "area.created": (nothing, lambda s, _: s.areas.create(AreaInput.model_validate({"name": "Hitchin", "districts": ["SG4", "SG5"]}), note=NOTE)),
    "area.updated": (an_area, lambda s, m: s.areas.update(m["area"].id, AreaPatch.model_validate({"districts": ["SG1", "SG2"]}), note=NOTE)),
    "provider.created": (an_area, lambda s, _: s.providers.create(ProviderInput.model_validate(provider_body("Beta Care")), note=NOTE)),
    "provider.updated": (a_provider, lambda s, m: s.providers.update(m["provider"].id, ProviderPatch.model_validate({"phone": "+447700900123"}), note=NOTE)),
    "provider.status_changed": (a_provider, lambda s, m: s.providers.update(m["provider"].id, ProviderPatch.model_validate({"status": "suspended"}), note=NOTE)),
    "user.created": (nothing, lambda s, _: s.accounts.create("new.broker@council.test", "a-long-password-1", "broker", None, note=NOTE)),
    "user.unlocked": (a_locked_user, lambda s, m: s.accounts.unlock(m["user"].id, note=NOTE)),
    "user.deactivated": (a_signed_in_user, lambda s, m: s.accounts.set_active(m["user"].id, False, note=NOTE)),
    "user.reactivated": (a_deactivated_user, lambda s, m: s.accounts.set_active(m["user"].id, True, note=NOTE)),
    "webhook.registered": (nothing, lambda s, _: s.endpoints.register("https://case.example.test/hooks", ["package.awarded"], NOTE)),
    "webhook.deleted": (an_endpoint, lambda s, m: s.endpoints.delete(m["endpoint"].id, NOTE)),
    "webhook.resent": (a_delivered_delivery, resend),
}


@pytest.mark.parametrize("action", list(KINDS))
async def test_a_change_and_its_audit_entry_land_together_or_not_at_all(action: str, full: Stores, refusing: Stores) -> None:
    setup, change = KINDS[action]
    made = await setup(full)
    state, entries = await everything_but_the_trail(full.redis), await trail(full.redis)

    with pytest.raises(RedisError):
        await change(refusing, made)
    assert await everything_but_the_trail(full.redis) == state, "the change landed without its audit entry"
    assert await trail(full.redis) == entries

    await change(full, made)
    assert await everything_but_the_trail(full.redis) != state
    new = (await trail(full.redis))[len(entries):]
    assert [(e["action"], e["actor_email"], e["reason"]) for e in new] == [(action, NOTE.actor_email, NOTE.reason)]


async def test_an_entry_is_refused_outside_the_changes_multi(full: Stores) -> None:
    """Queued on a WATCHing pipeline before MULTI, XADD would run at once, whatever became
    of the change: the note refuses, as it does on a pipeline that is no transaction."""
    async with full.redis.pipeline(transaction=True) as pipe:
        await pipe.watch("x")
        with pytest.raises(RuntimeError):
            NOTE.queue(pipe, "area.updated", "area", "area_x", "X", None, None)
    async with full.redis.pipeline(transaction=False) as pipe:
        with pytest.raises(RuntimeError):
            NOTE.queue(pipe, "area.updated", "area", "area_x", "X", None, None)
    assert await trail(full.redis) == []


async def test_concurrent_provider_changes_record_the_before_each_replaced(full: Stores) -> None:
    """Each update reads the provider under WATCH: of changes racing on other connections,
    every entry's "before" is the previous entry's "after", and there is one entry each."""
    provider = (await a_provider(full))["provider"]
    others = [Stores.on(Redis.from_url(_url(full), decode_responses=True)) for _ in range(6)]
    try:
        phones = [f"+44770090010{n}" for n in range(6)]
        await asyncio.gather(*(s.providers.update(provider.id, ProviderPatch.model_validate({"phone": p}), note=NOTE)
                               for s, p in zip(others, phones, strict=True)))
    finally:
        for s in others:
            await s.redis.aclose()
    entries = await trail(full.redis)
    assert sorted(e["after"]["phone"] for e in entries) == sorted(phones)
    chain = [provider.phone] + [e["after"]["phone"] for e in entries]
    assert [e["before"]["phone"] for e in entries] == chain[:-1]
    assert (await full.providers.get(provider.id)).phone == chain[-1]


async def test_the_same_user_created_at_once_twice_is_one_user_and_one_entry(full: Stores) -> None:
    others = [Stores.on(Redis.from_url(_url(full), decode_responses=True)) for _ in range(2)]
    try:
        outcomes = await asyncio.gather(*(s.accounts.create("twice@council.test", "a-long-password-1", "broker", None, note=NOTE)
                                          for s in others), return_exceptions=True)
    finally:
        for s in others:
            await s.redis.aclose()
    assert sorted(type(o).__name__ for o in outcomes) == ["EmailTaken", "User"]
    made = next(o for o in outcomes if not isinstance(o, EmailTaken))
    assert [(e["action"], e["target_id"]) for e in await trail(full.redis)] == [("user.created", made.id)]
    assert await full.redis.zrange(keys.USERS, 0, -1) == [made.id]


async def test_an_endpoint_deleted_twice_at_once_is_deleted_and_audited_once(full: Stores) -> None:
    endpoint = (await an_endpoint(full))["endpoint"]
    others = [Stores.on(Redis.from_url(_url(full), decode_responses=True)) for _ in range(2)]
    try:
        outcomes = await asyncio.gather(*(s.endpoints.delete(endpoint.id, NOTE) for s in others), return_exceptions=True)
    finally:
        for s in others:
            await s.redis.aclose()
    assert sorted(type(o).__name__ for o in outcomes) == ["Endpoint", "UnknownEndpoint"]
    assert [e["action"] for e in await trail(full.redis)] == ["webhook.registered", "webhook.deleted"]
    with pytest.raises(UnknownEndpoint):
        await full.endpoints.get(endpoint.id)


def _url(stores: Stores) -> str:
    kw = stores.redis.connection_pool.connection_kwargs
    return f"redis://{kw['host']}:{kw['port']}/{kw['db']}"


# Through the running service.

async def test_an_admin_change_through_the_api_is_in_the_audit_api_and_csv_once(world: World) -> None:
    admin = world.admin
    area = await admin("POST", "/api/areas", {"name": "Hitchin", "districts": ["SG5"], "reason": "New locality"}, expect=201)
    await admin("PATCH", f"/api/areas/{area['id']}", {"districts": ["SG5", "SG3"]}, expect=200)
    alpha = world.providers["Alpha Care"]["id"]
    await admin("PATCH", f"/api/providers/{alpha}", {"status": "pending_visit", "reason": "Awaiting a monitoring visit"}, expect=200)
    user = await admin("POST", "/api/users", {"email": "new.broker@council.test", "password": "a-long-password-1", "role": "broker"}, expect=201)
    await admin("POST", f"/api/users/{user['id']}/unlock", expect=204)
    await admin("POST", f"/api/users/{user['id']}/deactivate", {"reason": "Left the team"}, expect=200)
    hook = await admin("POST", "/api/webhooks", {"url": "https://finance.example.test/hooks", "events": ["package.posted"]}, expect=201)
    await admin("DELETE", f"/api/webhooks/{hook['id']}", expect=204)
    made = [("area.created", area["id"]), ("area.updated", area["id"]), ("provider.status_changed", alpha),
            ("user.created", user["id"]), ("user.unlocked", user["id"]), ("user.deactivated", user["id"]),
            ("webhook.registered", hook["id"]), ("webhook.deleted", hook["id"])]

    listed = await admin("GET", "/api/audit?per_page=200", expect=200)
    assert listed["total"] == len(listed["items"])
    pairs = [(e["action"], e["target_id"]) for e in listed["items"]]
    assert {pair: pairs.count(pair) for pair in made} == {pair: 1 for pair in made}
    assert pairs[:len(made)] == made[::-1], "newest first, in the order they were made"
    status = listed["items"][len(made) - 3]
    assert (status["actor_email"], status["reason"], status["changes"]) == (admin.user["email"], "Awaiting a monitoring visit", ["status"])

    for path, headers in (("/api/audit?format=csv", {}), ("/admin/audit?format=csv", {"Cookie": f"session={admin.token}"})):
        exported = await admin.raw("GET", path, headers=headers)
        assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv"), path
        rows = [(r["action"], r["target_id"]) for r in csv.DictReader(io.StringIO(exported.text))]
        assert {pair: rows.count(pair) for pair in made} == {pair: 1 for pair in made}, path


async def test_admin_changes_through_the_pages_are_in_the_audit_csv_once(world: World) -> None:
    admin = world.admin
    csrf = "c" * 43
    async with httpx.AsyncClient(base_url=world.service.url(), cookies={"session": admin.token or "", "csrf": csrf}) as page:
        async def submit(path: str, expect: int = 303, **form: Any) -> None:
            answer = await page.post(path, data={"csrf_token": csrf, **form})
            assert answer.status_code == expect, (path, answer.status_code)

        await submit("/admin/areas/new", name="Hitchin", districts="SG5")
        area = next(a for a in await admin("GET", "/api/areas", expect=200) if a["name"] == "Hitchin")
        await submit(f"/admin/areas/{area['id']}/edit", districts="SG5 SG3")
        alpha = world.providers["Alpha Care"]["id"]
        await submit(f"/admin/providers/{alpha}/status", status="suspended", reason="Safeguarding concern raised")
        await submit("/admin/users/new", email="new.broker@council.test", role="broker", password="a-long-password-1")
        [user] = (await admin("GET", "/api/users?q=new.broker", expect=200))["items"]
        for action in ("unlock", "deactivate", "reactivate"):
            await submit(f"/admin/users/{user['id']}/{action}", reason=f"Asked to {action}")
        await submit("/admin/webhooks", expect=200, url="https://finance.example.test/hooks", events="package.posted")
        [hook] = await admin("GET", "/api/webhooks", expect=200)
        await submit(f"/admin/webhooks/{hook['id']}/delete")
        await submit(f"/admin/webhooks/{hook['id']}/delete")  # twice (another tab): gone already, one entry

    made = [("area.created", area["id"]), ("area.updated", area["id"]), ("provider.status_changed", alpha),
            ("user.created", user["id"]), ("user.unlocked", user["id"]), ("user.deactivated", user["id"]),
            ("user.reactivated", user["id"]), ("webhook.registered", hook["id"]), ("webhook.deleted", hook["id"])]
    exported = await admin.raw("GET", "/admin/audit?format=csv", headers={"Cookie": f"session={admin.token}"})
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    pairs = [(r["action"], r["target_id"]) for r in rows]
    assert {pair: pairs.count(pair) for pair in made} == {pair: 1 for pair in made}
    assert pairs[:len(made)] == made[::-1]
    assert {r["actor_email"] for r in rows[:len(made)]} == {admin.user["email"]}
    assert [r["reason"] for r in rows[2:5]] == ["Asked to reactivate", "Asked to deactivate", "Asked to unlock"]


async def test_a_delivery_sent_again_from_the_api_and_the_page_is_audited_once_each(world: World) -> None:
    from tests.waits import eventually
    from tests.webhooks.receiver import Receiver
    from tests.webhooks.test_webhooks import one_delivered

    receiver = await Receiver().start()
    try:
        created, delivery = await one_delivered(world, receiver)
        resend = f"/api/webhooks/{created['id']}/deliveries/{delivery['id']}/resend"

        async def acknowledged(times: int) -> None:
            async def done() -> bool:
                return len(receiver.acknowledged()) == times
            await eventually(done, f"the delivery acknowledged {times} times")

        await world.admin("POST", resend, expect=202)
        await acknowledged(2)
        csrf = "c" * 43
        async with httpx.AsyncClient(base_url=world.service.url(), cookies={"session": world.admin.token or "", "csrf": csrf}) as page:
            answer = await page.post("/admin" + resend.removeprefix("/api"), data={"csrf_token": csrf})
            assert answer.status_code == 303
        await acknowledged(3)
    finally:
        await receiver.stop()
    trail = await world.admin("GET", "/api/audit?action=webhook.resent", expect=200)
    assert [(e["target_id"], e["target_name"], e["after"]) for e in trail["items"]] == \
        [(created["id"], created["url"], {"delivery_id": delivery["id"], "event_id": delivery["event_id"]})] * 2
