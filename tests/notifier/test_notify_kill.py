"""A worker killed (SIGKILL) in the middle of a burst: every notification is still sent,
and none twice. SMS: no raw duplicate at all (a retry asks Twilio first). Email: exactly one
distinct Message-ID per notification (see notifier/delivery.py for why email is
at-least-once in the millisecond between SMTP's 250 and the record)."""

from __future__ import annotations

import json
import signal
from collections import Counter
from typing import AsyncIterator, Iterator

import pytest
import redis

from tests.conftest import World
from tests.notifier.conftest import eventually, notifications, notify_env, world_on
from tests.notifier.standins import SmtpSink, TwilioStandIn
from tests.support import PASSWORD, RedisServer, Service
from tests.waits import EventLogReader

KILL_DB = 3
EXTRA_USERS = 9  # per provider, so 3 providers x 10 users x (email + sms) = 60 per package
PACKAGES = 5


@pytest.fixture(scope="module")
def kill_service(redis_server: RedisServer, smtp_sink: SmtpSink, twilio: TwilioStandIn) -> Iterator[Service]:
    svc = Service(redis_server.url(KILL_DB), env=notify_env(smtp_sink, twilio), workers=2).start()
    yield svc
    svc.stop()


@pytest.fixture
async def kill_world(kill_service: Service, redis_server: RedisServer, smtp_sink: SmtpSink, twilio: TwilioStandIn) -> AsyncIterator[World]:
    async with world_on(kill_service, redis_server.url(KILL_DB), smtp_sink, twilio) as w:
        yield w


@pytest.mark.timeout(240)
async def test_worker_killed_mid_burst_loses_nothing_and_sends_nothing_twice(
        kill_world: World, kill_service: Service, redis_server: RedisServer, smtp_sink: SmtpSink, twilio: TwilioStandIn) -> None:
    await add_team_members(kill_world, redis_server.url(KILL_DB))
    packages = [await kill_world.post(urgency="red") for _ in range(PACKAGES)]
    expected = PACKAGES * 3 * (EXTRA_USERS + 1) * 2

    async def some_sent() -> bool:
        return len(smtp_sink.all()) + len(twilio.all()) >= 20

    assert await eventually(some_sent, timeout=60, every=0.05)
    kill_service.kill_worker(0, signal.SIGKILL)
    kill_service.start_worker()

    async def all_sent() -> list[dict] | None:
        notes = [n for p in packages for n in await notifications(kill_world, p["id"])]
        return notes if len(notes) == expected and all(n["status"] == "sent" for n in notes) else None

    notes = await eventually(all_sent, "every notification sent after the kill", timeout=180, every=1.0)
    sms_sent = Counter((s.to, s.body) for s in twilio.all())
    assert len(sms_sent) == expected // 2 and set(sms_sent.values()) == {1}
    ids = Counter(m.message_id for m in smtp_sink.all())
    assert set(ids) == {f"<{n['id']}@council.test>" for n in notes if n["channel"] == "email"}
    # Nothing more trickles in later: the events the dead worker held are taken over and
    # acknowledged, and no delivery job is left to run.
    async with EventLogReader(redis_server.url(KILL_DB)) as log:
        await log.notifier_caught_up(timeout=60)
        await log.jobs_idle(prefix="ntf_", timeout=60)
    assert len(twilio.all()) == expected // 2
    assert {m.message_id for m in smtp_sink.all()} == set(ids)


async def add_team_members(world: World, url: str) -> None:
    """More users per provider, each with a phone (set straight in Redis: logins are slow)."""
    with redis.Redis.from_url(url, decode_responses=True) as r:
        n = 0
        for name, provider in list(world.providers.items()):
            for k in range(EXTRA_USERS):
                email = f"member{k}@{name.lower().replace(' ', '-')}.test"
                user = await world.admin("POST", "/api/users", {"email": email, "password": PASSWORD, "role": "provider", "provider_id": provider["id"]}, expect=201)
                n += 1
                r.hset(f"hb:user:{user['id']}", "preferences", json.dumps({"phone": f"+4477009{n:05d}"}))
        for name, api in world.users.items():
            n += 1
            r.hset(f"hb:user:{api.user['id']}", "preferences", json.dumps({"phone": f"+4477009{n:05d}"}))
