"""Integration webhooks (contract): what an admin registers, and what a receiver gets.

The receiver is a real HTTP server on loopback that verifies every signature with the
`standardwebhooks` library. "Once and in order" is checked against the service's own event
log: every event of a subscribed type after registration is acknowledged exactly once, and a
package's events arrive in the order the log holds them."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from tests.conftest import World
from tests.waits import EventLogReader, eventually
from tests.webhooks.receiver import Receiver

LIFECYCLE = ["package.posted", "offer.submitted", "package.awarded", "purchase_order.issued", "variation.proposed",
             "variation.accepted", "question.asked", "question.answered"]


async def register(world: World, receiver: Receiver, events: list[str]) -> dict[str, Any]:
    created = await world.admin("POST", "/api/webhooks", {"url": receiver.url, "events": events}, expect=201)
    receiver.secret = created["secret"]
    return created


async def logged(world: World, types: list[str], after: str) -> list[Any]:
    async with EventLogReader(world.service.redis_url) as log:
        return [e for e in await log.events(after=after) if e.type in types]


async def all_acknowledged(world: World, receiver: Receiver, types: list[str], after: str, timeout: float = 60) -> list[Any]:
    """Wait until the receiver has acknowledged every logged event of these types; returns them."""
    async def done() -> list[Any] | None:
        wanted = await logged(world, types, after)
        return wanted if wanted and {e.id for e in wanted} <= set(receiver.acknowledged_ids()) else None

    return await eventually(done, f"the receiver acknowledging every {types} event", timeout)


async def one_delivered(world: World, receiver: Receiver) -> tuple[dict[str, Any], dict[str, Any]]:
    """An endpoint for package.posted, a package posted and acknowledged: (endpoint, its delivery)."""
    created = await register(world, receiver, ["package.posted"])
    async with EventLogReader(world.service.redis_url) as log:
        start = await log.last_id()
    await world.post()
    await all_acknowledged(world, receiver, ["package.posted"], start)
    [delivery] = await world.admin("GET", f"/api/webhooks/{created['id']}/deliveries", expect=200)
    return created, delivery


def assert_once_in_order(receiver: Receiver, events: list[Any]) -> None:
    acked = receiver.acknowledged_ids()
    assert sorted(acked) == sorted(e.id for e in events), "each event acknowledged exactly once, and nothing else"
    by_package: dict[str | None, list[str]] = {}
    for event in events:
        by_package.setdefault(event.package_id, []).append(event.id)
    for package_id, ids in by_package.items():
        assert [i for i in acked if i in set(ids)] == ids, f"events of {package_id} out of order"


async def test_admin_registers_lists_and_deletes_endpoints(world: World) -> None:
    receiver = Receiver()
    created = await world.admin("POST", "/api/webhooks", {"url": receiver.url, "events": ["package.awarded"]}, expect=201)
    assert created["secret"].startswith("whsec_") and created["id"]
    listed = await world.admin("GET", "/api/webhooks", expect=200)
    assert listed == [{"id": created["id"], "url": receiver.url, "events": ["package.awarded"], "created_at": created["created_at"]}]
    assert "secret" not in str(listed)
    assert await world.admin("GET", f"/api/webhooks/{created['id']}/deliveries", expect=200) == []
    # Only admins; bad input is a 422 naming the field, in plain words.
    await world.broker("POST", "/api/webhooks", {"url": receiver.url, "events": ["package.awarded"]}, expect=403)
    await world.users["Alpha Care"]("GET", "/api/webhooks", expect=403)
    for body, field in (({"url": "ftp://x.test/", "events": ["package.awarded"]}, "url"),
                        ({"url": "https://user:pw@x.test/", "events": ["package.awarded"]}, "url"),
                        ({"url": "https://x.test/", "events": ["package.exploded"]}, "events"),
                        ({"url": "https://x.test/", "events": []}, "events"),
                        ({"events": ["package.awarded"]}, "url")):
        refused = await world.admin("POST", "/api/webhooks", body, expect=422)
        assert field in str(refused["error"]["fields"]), refused
    await world.admin("DELETE", f"/api/webhooks/{created['id']}", expect=204)
    await world.admin("DELETE", f"/api/webhooks/{created['id']}", expect=404)
    await world.admin("GET", f"/api/webhooks/{created['id']}/deliveries", expect=404)
    await world.admin("GET", "/api/webhooks/nonsense/deliveries", expect=404)
    assert await world.admin("GET", "/api/webhooks", expect=200) == []
    audit = await world.admin("GET", "/api/audit?action=webhook.registered", expect=200)
    assert audit["total"] == 1 and "whsec_" not in str(audit)


async def test_a_placement_reaches_the_receiver_signed_once_and_in_order(world: World) -> None:
    receiver = await Receiver().start()
    try:
        created = await register(world, receiver, LIFECYCLE)
        async with EventLogReader(world.service.redis_url) as log:
            start = await log.last_id()
        package = await world.post(hours_per_week=2.25)
        pid = package["id"]
        alpha = world.users["Alpha Care"]
        question = await alpha("POST", f"/api/packages/{pid}/questions", {"text": "Is there parking?"}, expect=201)
        await world.broker("POST", f"/api/packages/{pid}/questions/{question['id']}/answer",
                           {"text": "Yes, on the drive.", "publish": True}, expect=200)
        offer = await alpha("POST", f"/api/packages/{pid}/offers",
                            {"hourly_rate": 22.5, "start_date": package["start_date"], "can_meet_needs": True}, expect=201)
        await world.broker("POST", f"/api/packages/{pid}/award", {"offer_id": offer["id"]}, expect=200)
        variation = await world.broker("POST", f"/api/packages/{pid}/variations", {
            "reason": "Review: add a bed call", "effective_from": "2030-01-06", "visits": [
                {"days": ["mon", "wed", "fri"], "band": "morning", "minutes": 45, "carers": 1, "time_critical": False},
                {"days": ["mon", "wed", "fri"], "band": "bed", "minutes": 30, "carers": 1, "time_critical": False}]}, expect=201)
        await alpha("POST", f"/api/packages/{pid}/variations/{variation['id']}/accept", expect=200)

        events = await all_acknowledged(world, receiver, LIFECYCLE, start)
        assert [e.type for e in events] == ["package.posted", "question.asked", "question.answered", "offer.submitted",
                                            "package.awarded", "purchase_order.issued", "variation.proposed",
                                            "variation.accepted", "purchase_order.issued"]
        assert_once_in_order(receiver, events)
        assert receiver.bad_signatures == 0
        for got, event in zip(receiver.acknowledged(), events):
            # Standard Webhooks: webhook-id is the event id; the body is {id, type, at, data}.
            assert got.webhook_id == got.body["id"] == event.id
            assert set(got.body) == {"id", "type", "at", "data"} and got.body["type"] == event.type
            assert got.headers["webhook-signature"].startswith("v1,")
        # Enough for case management and finance: the package as posted, and both purchase orders.
        posted = receiver.acknowledged()[0].body["data"]
        assert posted["package"]["id"] == pid and posted["package"]["reference"] == "HCC-0001"
        orders = [r.body["data"] for r in receiver.acknowledged() if r.body["type"] == "purchase_order.issued"]
        assert [(o["version"], o["weekly_cost"]) for o in orders] == [(1, 54.0), (2, 94.5)]

        deliveries = await world.admin("GET", f"/api/webhooks/{created['id']}/deliveries", expect=200)
        assert len(deliveries) == len(events)
        assert {(d["status"], d["attempts"], d["last_status_code"]) for d in deliveries} == {("delivered", 1, 200)}
        assert [d["event_id"] for d in reversed(deliveries)] == [e.id for e in events]
    finally:
        await receiver.stop()


async def test_a_receiver_answering_500_is_tried_again_until_200(world: World) -> None:
    receiver = await Receiver(answers=[500, 503]).start()
    try:
        created = await register(world, receiver, ["package.posted"])
        async with EventLogReader(world.service.redis_url) as log:
            start = await log.last_id()
        await world.post()
        events = await all_acknowledged(world, receiver, ["package.posted"], start)
        assert_once_in_order(receiver, events)
        assert [r.status for r in receiver.received] == [500, 503, 200]
        assert len({r.webhook_id for r in receiver.received}) == 1  # the same delivery each time
        [delivery] = await world.admin("GET", f"/api/webhooks/{created['id']}/deliveries", expect=200)
        assert (delivery["status"], delivery["attempts"], delivery["last_status_code"]) == ("delivered", 3, 200)
    finally:
        await receiver.stop()


async def test_a_receiver_down_while_50_events_happen_gets_all_once_in_order(world: World) -> None:
    receiver = Receiver()
    types = ["package.posted", "package.matched", "package.withdrawn"]
    created = await register(world, receiver, types)
    async with EventLogReader(world.service.redis_url) as log:
        start = await log.last_id()
    # Ten packages posted (each: posted + three providers matched) and withdrawn: 50 events.
    for n in range(10):
        package = await world.post(reference=f"HCC-{n:04d}")
        await world.broker("POST", f"/api/packages/{package['id']}/withdraw", {"reason": "Family arranged care"}, expect=200)
    events = await logged(world, types, start)
    assert len(events) == 50

    async def failed_attempts() -> bool:
        deliveries = await world.admin("GET", f"/api/webhooks/{created['id']}/deliveries", expect=200)
        return len(deliveries) == 50 and all(d["status"] == "pending" for d in deliveries) and any(d["attempts"] >= 2 for d in deliveries)

    await eventually(failed_attempts, "every delivery planned, and tried while the receiver is down")
    await receiver.start()
    try:
        events = await all_acknowledged(world, receiver, types, start)
        assert_once_in_order(receiver, events)
        deliveries = await world.admin("GET", f"/api/webhooks/{created['id']}/deliveries", expect=200)
        assert {d["status"] for d in deliveries} == {"delivered"}
    finally:
        await receiver.stop()


async def test_an_admin_sends_a_delivery_again(world: World) -> None:
    receiver = await Receiver().start()
    try:
        created, delivery = await one_delivered(world, receiver)
        await world.admin("POST", f"/api/webhooks/{created['id']}/deliveries/{delivery['id']}/resend", expect=202)

        async def twice() -> bool:
            return len(receiver.acknowledged()) == 2

        await eventually(twice, "the delivery sent again")
        assert len({r.webhook_id for r in receiver.acknowledged()}) == 1  # same id: a receiver can tell
        await world.admin("POST", f"/api/webhooks/{created['id']}/deliveries/dlv_00000000000deadbeef/resend", expect=404)
    finally:
        await receiver.stop()


async def test_after_delete_nothing_more_is_sent(world: World) -> None:
    receiver = await Receiver().start()
    try:
        created = await register(world, receiver, ["package.posted"])
        await world.admin("DELETE", f"/api/webhooks/{created['id']}", expect=204)
        await world.post()
        async with EventLogReader(world.service.redis_url) as log:
            await log.wait_for_event("package.posted")

            async def planned_past_it() -> bool:  # the webhooks group has read past the post
                groups = await log.redis.xinfo_groups("hb:events")
                group = next((g for g in groups if g["name"] == "webhooks"), None)
                return bool(group) and group["pending"] == 0 and group["last-delivered-id"] == await log.last_id()

            await eventually(planned_past_it, "the webhooks consumer group reading past the post")
        assert receiver.received == []
    finally:
        await receiver.stop()


async def test_worker_sigkilled_mid_delivery_sends_nothing_twice_once_acknowledged(own_world: World) -> None:
    world = own_world
    receiver = await Receiver(delay_s=0.6).start()
    try:
        types = ["package.posted", "package.matched"]
        await register(world, receiver, types)
        async with EventLogReader(world.service.redis_url) as log:
            start = await log.last_id()
        for n in range(5):
            await world.post(reference=f"HCC-{n:04d}")

        async def mid_request() -> bool:
            return receiver.in_flight > 0 and len(receiver.acknowledged()) >= 3

        await eventually(mid_request, "a delivery in flight after a few acknowledged")
        killed_at = time.monotonic()
        world.service.kill_worker(0)
        world.service.start_worker()
        events = await all_acknowledged(world, receiver, types, start, timeout=90)
        assert len(events) == 20
        cut_off = [r for r in receiver.received if not r.acknowledged]
        assert cut_off, "the kill landed while a delivery was in flight"
        # Once the service has recorded a 2xx it never sends again. The one window no sender can
        # close: the receiver wrote its 2xx as the worker died, before the worker read it; only
        # those deliveries may come again (same webhook-id), and only ones answered at the kill.
        first: dict[str, float] = {}
        for r in receiver.acknowledged():
            if r.webhook_id in first:
                assert first[r.webhook_id] > killed_at - 1.0, f"{r.webhook_id} sent again long after it was acknowledged"
            else:
                first[r.webhook_id] = r.acknowledged_at
        assert set(first) == {e.id for e in events}
        order = sorted(first, key=first.get)  # type: ignore[arg-type]
        for package_id in {e.package_id for e in events}:
            ids = [e.id for e in events if e.package_id == package_id]
            assert [i for i in order if i in set(ids)] == ids, f"events of {package_id} out of order"
    finally:
        await receiver.stop()
