"""Web Push end to end: the contract's routes, then packages pushed through web, worker and a
push service stand-in that checks the VAPID signature and decrypts every message with the
device's own keys (tests/notifier/push_standin.py)."""

from __future__ import annotations

import json
from typing import Iterator

import httpx
import pytest

from tests.conftest import World
from tests.notifier.conftest import eventually, notifications, settled
from tests.notifier.push_standin import PushStandIn, unb64u


@pytest.fixture(scope="module")
def push_service() -> Iterator[PushStandIn]:
    standin = PushStandIn().start()
    yield standin
    standin.stop()


async def test_public_key_and_subscriptions_follow_the_contract(notify_world: World, push_service: PushStandIn) -> None:
    base = notify_world.service.url()
    answer = httpx.get(f"{base}/api/push/public-key")
    assert answer.status_code == 200
    key = unb64u(answer.json()["key"])
    assert len(key) == 65 and key[0] == 4  # an uncompressed P-256 point, as PushManager.subscribe wants
    assert httpx.get(f"{base}/api/push/public-key").json() == answer.json()  # kept, not regenerated

    alpha = notify_world.users["Alpha Care"]
    phone = push_service.device("contract-phone").subscription()
    created = await alpha("POST", "/api/me/push-subscriptions", phone, expect=201)
    assert isinstance(created["id"], str) and created["id"]
    again = await alpha("POST", "/api/me/push-subscriptions", phone, expect=201)
    assert again["id"] == created["id"]  # the same browser subscribing again is one device

    bad = await alpha.raw("POST", "/api/me/push-subscriptions", json={"endpoint": phone["endpoint"], "keys": {"p256dh": "abc", "auth": "x"}})
    assert bad.status_code == 422
    assert set(bad.json()["error"]["fields"]) == {"keys.p256dh", "keys.auth"}
    bad = await alpha.raw("POST", "/api/me/push-subscriptions", json={"endpoint": "ftp://example.test/x", "keys": phone["keys"]})
    assert bad.status_code == 422 and "endpoint" in bad.json()["error"]["fields"]
    assert (await alpha.raw("POST", "/api/me/push-subscriptions", content=b"{nope")).status_code == 400
    assert httpx.post(f"{base}/api/me/push-subscriptions", json=phone).status_code == 401

    me = await alpha("GET", "/api/me", expect=200)
    assert all("push" in me["preferences"]["channels"][u] for u in ("red", "amber", "green"))

    beta = notify_world.users["Beta Homecare"]
    assert (await beta.raw("DELETE", f"/api/me/push-subscriptions/{created['id']}")).status_code == 404
    assert (await alpha.raw("DELETE", f"/api/me/push-subscriptions/{created['id']}")).status_code == 204
    assert (await alpha.raw("DELETE", f"/api/me/push-subscriptions/{created['id']}")).status_code == 404


async def test_packages_are_pushed_encrypted_and_redacted_and_a_gone_device_is_dropped(
        notify_world: World, push_service: PushStandIn) -> None:
    push_service.clear()
    base = notify_world.service.url()
    server_key = httpx.get(f"{base}/api/push/public-key").json()["key"]
    alpha = notify_world.users["Alpha Care"]
    phone = await alpha("POST", "/api/me/push-subscriptions", push_service.device("alpha-phone").subscription(), expect=201)
    laptop = await alpha("POST", "/api/me/push-subscriptions", push_service.device("alpha-laptop").subscription(), expect=201)

    first = await notify_world.post(urgency="red")

    async def both_got_it() -> bool:
        return bool(push_service.to("alpha-phone")) and bool(push_service.to("alpha-laptop"))

    assert await eventually(both_got_it), f"no push arrived; rejected: {push_service.rejected}"
    for name in ("alpha-phone", "alpha-laptop"):
        [push] = push_service.to(name)
        assert push.vapid_key == server_key  # signed with the key browsers subscribed with
        assert push.urgency == "high" and int(push.ttl) > 0
        data = push.payload
        assert data["event"] == "package.matched" and data["package_id"] == first["id"] and data["urgency"] == "red"
        assert data["url"] == f"/provider/packages/{first['id']}"
        assert data["tag"] == data["id"] == push.topic  # the device and the push service both collapse repeats
        assert "RED – respond within" in data["body"] and "SG1" in data["title"]
        text = json.dumps(data)
        assert "SG1 1AA" not in text and "Testcase" not in text and "Example Road" not in text and "HCC-0001" not in text
    notes = await settled(notify_world, first["id"], 2, timeout=30)
    pushed = [n for n in notes if n["channel"] == "push"]
    assert sorted(n["device"] for n in pushed) == sorted([phone["id"], laptop["id"]])
    assert all(n["status"] == "sent" and n["attempts"] == 1 and n["user_id"] == alpha.user["id"] for n in pushed)

    # The laptop's browser unsubscribed: the push service answers 410 from now on.
    push_service.gone.add("alpha-laptop")
    second = await notify_world.post(urgency="amber")

    async def laptop_failed() -> list[dict] | None:
        notes = [n for n in await notifications(notify_world, second["id"]) if n["channel"] == "push"]
        done = {n["device"]: n["status"] for n in notes}
        return notes if done.get(laptop["id"]) == "failed" and done.get(phone["id"]) == "sent" else None

    notes = await eventually(laptop_failed)
    assert notes, await notifications(notify_world, second["id"])
    assert next(n for n in notes if n["device"] == laptop["id"])["attempts"] == 1  # gone is gone: no retries
    assert ("alpha-laptop", 410, "unsubscribed") in push_service.rejected
    assert [p.payload["package_id"] for p in push_service.to("alpha-phone")] == [first["id"], second["id"]]
    # The subscription was removed, so the owner finds nothing to delete and the next package skips it.
    assert (await alpha.raw("DELETE", f"/api/me/push-subscriptions/{laptop['id']}")).status_code == 404
    third = await notify_world.post(urgency="green")

    async def phone_got_third() -> bool:
        return any(p.payload["package_id"] == third["id"] for p in push_service.to("alpha-phone"))

    assert await eventually(phone_got_third)
    third_push = [n for n in await notifications(notify_world, third["id"]) if n["channel"] == "push"]
    assert [n["device"] for n in third_push] == [phone["id"]]
    assert [r for r in push_service.rejected if r[1] != 410] == []


async def test_push_channel_can_be_unticked(notify_world: World, push_service: PushStandIn) -> None:
    push_service.clear()
    gamma = notify_world.users["Gamma Support"]
    await gamma("POST", "/api/me/push-subscriptions", push_service.device("gamma-phone").subscription(), expect=201)
    await gamma("PUT", "/api/me/preferences", {"channels": {"red": ["ws", "push"], "amber": ["ws", "email"]}}, expect=200)
    amber = await notify_world.post(urgency="amber")
    red = await notify_world.post(urgency="red")

    async def red_pushed() -> bool:
        return any(p.payload["package_id"] == red["id"] for p in push_service.to("gamma-phone"))

    assert await eventually(red_pushed)
    # Absence from the record, not from waiting: amber was planned (email) without push.
    amber_notes = await settled(notify_world, amber["id"], 1)
    gamma_id = gamma.user["id"]
    assert [n["channel"] for n in amber_notes if n["user_id"] == gamma_id] == ["email"]
    assert all(p.payload["package_id"] != amber["id"] for p in push_service.to("gamma-phone"))
