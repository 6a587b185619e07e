"""A worker killed (SIGKILL) in the middle of a push burst: every push is still sent, and no
device shows any message twice. The only repeat the push service may see is a record whose
attempt died between the push service's 201 and our write (its `attempts` says so); that
repeat carries the same Topic, which the push service uses to replace it (RFC 8030 §5.4),
and the same tag, which the device uses to replace the notification."""

from __future__ import annotations

import asyncio
import json
import signal
from collections import Counter
from typing import AsyncIterator, Iterator

import pytest
import redis

from tests.conftest import World
from tests.notifier.conftest import eventually, notifications, notify_env, world_on
from tests.notifier.push_standin import PushStandIn
from tests.notifier.standins import SmtpSink, TwilioStandIn
from tests.support import PASSWORD, RedisServer, Service

PUSH_KILL_DB = 4
EXTRA_USERS = 9
PACKAGES = 6


@pytest.fixture(scope="module")
def kill_push() -> Iterator[PushStandIn]:
    standin = PushStandIn().start()
    yield standin
    standin.stop()


@pytest.fixture(scope="module")
def push_kill_service(redis_server: RedisServer, smtp_sink: SmtpSink, twilio: TwilioStandIn) -> Iterator[Service]:
    svc = Service(redis_server.url(PUSH_KILL_DB), env=notify_env(smtp_sink, twilio), workers=2).start()
    yield svc
    svc.stop()


@pytest.fixture
async def push_kill_world(push_kill_service: Service, redis_server: RedisServer, smtp_sink: SmtpSink,
                          twilio: TwilioStandIn) -> AsyncIterator[World]:
    async with world_on(push_kill_service, redis_server.url(PUSH_KILL_DB), smtp_sink, twilio) as w:
        yield w


@pytest.mark.timeout(240)
async def test_worker_killed_mid_push_burst_loses_nothing_and_no_device_shows_a_message_twice(
        push_kill_world: World, push_kill_service: Service, redis_server: RedisServer, kill_push: PushStandIn) -> None:
    devices = await subscribe_team(push_kill_world, redis_server.url(PUSH_KILL_DB), kill_push)
    packages = [await push_kill_world.post(urgency="red") for _ in range(PACKAGES)]
    expected = PACKAGES * len(devices)

    async def some_sent() -> bool:
        return len(kill_push.all()) >= 20

    assert await eventually(some_sent, timeout=60, every=0.05)
    push_kill_service.kill_worker(0, signal.SIGKILL)
    push_kill_service.start_worker()

    async def all_sent() -> list[dict] | None:
        notes = [n for p in packages for n in await notifications(push_kill_world, p["id"])]
        return notes if len(notes) == expected and all(n["status"] == "sent" for n in notes) else None

    notes = await eventually(all_sent, timeout=180, every=1.0)
    assert notes, "not every push was sent after the kill"
    assert {n["channel"] for n in notes} == {"push"}
    by_id = {n["id"]: n for n in notes}
    for name in devices:
        shown = kill_push.shown(name)
        assert sorted(p.payload["package_id"] for p in shown.values()) == sorted(p["id"] for p in packages)
        assert set(shown) <= set(by_id)  # every topic is one of our records
    raw = Counter((p.device, p.topic) for p in kill_push.all())
    repeats = [topic for (_, topic), count in raw.items() if count > 1]
    assert all(by_id[topic]["attempts"] > 1 for topic in repeats), "a repeat that was not a crash-window resend"
    assert kill_push.rejected == []
    await asyncio.sleep(2)
    assert len({(p.device, p.topic) for p in kill_push.all()}) == expected  # nothing more trickles in later


async def subscribe_team(world: World, url: str, standin: PushStandIn) -> list[str]:
    """More users per provider, each with one device and push as the only message channel
    (set straight in Redis as the SMS kill test does: logins are slow)."""
    with redis.Redis.from_url(url, decode_responses=True) as r:
        users: list[str] = [api.user["id"] for api in world.users.values()]
        for name, provider in list(world.providers.items()):
            for k in range(EXTRA_USERS):
                email = f"member{k}@{name.lower().replace(' ', '-')}.test"
                user = await world.admin("POST", "/api/users", {"email": email, "password": PASSWORD, "role": "provider", "provider_id": provider["id"]}, expect=201)
                users.append(user["id"])
        names = []
        for n, user_id in enumerate(users):
            channels = {u: ["ws", "push"] for u in ("red", "amber", "green")}
            r.hset(f"hb:user:{user_id}", "preferences", json.dumps({"channels": channels}))
            name = f"dev{n}"
            sub = standin.device(name).subscription()
            sub_id = f"psub_kill{n:04d}"
            r.hset(f"hb:push-subscription:{sub_id}", mapping={"user_id": user_id, "endpoint": sub["endpoint"],
                                                              "p256dh": sub["keys"]["p256dh"], "auth": sub["keys"]["auth"]})
            r.sadd(f"hb:user:{user_id}:push-subscriptions", sub_id)
            names.append(name)
    return names
