"""SMS fallback for unseen amber packages, and the dev outbox when nothing is configured."""

from __future__ import annotations

from typing import AsyncIterator, Iterator

import pytest
from arq.jobs import JobStatus

from config import keys
from tests.conftest import World
from tests.notifier.conftest import eventually, notifications, notify_env, settled, world_on
from tests.notifier.standins import SmtpSink, TwilioStandIn
from tests.support import RedisServer, Service
from tests.waits import EventLogReader

FALLBACK_DB = 2


@pytest.fixture(scope="module")
def fallback_service(redis_server: RedisServer, smtp_sink: SmtpSink, twilio: TwilioStandIn) -> Iterator[Service]:
    svc = Service(redis_server.url(FALLBACK_DB), env=notify_env(smtp_sink, twilio, SMS_FALLBACK_S="2")).start()
    yield svc
    svc.stop()


@pytest.fixture
async def fallback_world(fallback_service: Service, redis_server: RedisServer, smtp_sink: SmtpSink, twilio: TwilioStandIn) -> AsyncIterator[World]:
    async with world_on(fallback_service, redis_server.url(FALLBACK_DB), smtp_sink, twilio) as w:
        yield w


async def test_unseen_amber_is_texted_after_the_fallback_delay_and_seen_suppresses_it(fallback_world: World, twilio: TwilioStandIn) -> None:
    await fallback_world.users["Alpha Care"]("PUT", "/api/me/preferences", {"phone": "+447700900301"}, expect=200)
    await fallback_world.users["Beta Homecare"]("PUT", "/api/me/preferences", {"phone": "+447700900302"}, expect=200)
    package = await fallback_world.post(urgency="amber")
    await fallback_world.users["Alpha Care"]("GET", f"/api/packages/{package['id']}", expect=200)  # Alpha has seen it

    async def texted() -> list[dict]:
        return [n for n in await notifications(fallback_world, package["id"]) if n["channel"] == "sms" and n["status"] == "sent"]

    sms = await eventually(texted, timeout=30)
    assert [n["user_id"] for n in sms] == [fallback_world.users["Beta Homecare"].user["id"]]
    assert len(twilio.to("+447700900302")) == 1
    assert "AMBER - respond within 24 hours" in twilio.to("+447700900302")[0].body
    # Alpha saw it, Gamma has no phone: neither is texted. Each provider's fallback check
    # has run and recorded its decision, so nothing more can come of it.
    async with EventLogReader(fallback_world.service.redis_url) as log:
        decided = {name: await log.job_finished(keys.fallback_job_id(package["id"], provider["id"]))
                   for name, provider in fallback_world.providers.items()}
    assert decided == {"Alpha Care": "seen", "Beta Homecare": "texted 1", "Gamma Support": "texted 0"}
    assert twilio.to("+447700900301") == []
    assert len([n for n in await notifications(fallback_world, package["id"]) if n["channel"] == "sms"]) == 1


async def test_red_and_green_have_no_fallback(fallback_world: World, twilio: TwilioStandIn) -> None:
    # Beta has a phone but wants red by email only; green goes by email by default.
    await fallback_world.users["Beta Homecare"]("PUT", "/api/me/preferences", {"phone": "+447700900303", "channels": {"red": ["ws", "email"]}}, expect=200)
    red = await fallback_world.post(urgency="red")
    green = await fallback_world.post(urgency="green")
    for package in (red, green):
        notes = await settled(fallback_world, package["id"], 3)
        assert [n["channel"] for n in notes if n["event"] == "package.matched"] == ["email"] * 3
    async with EventLogReader(fallback_world.service.redis_url) as log:
        # Once the notifier has planned every match, an armed fallback check would be queued.
        await log.notifier_caught_up()
        for package in (red, green):
            for provider in fallback_world.providers.values():
                assert await log.job_status(keys.fallback_job_id(package["id"], provider["id"])) == JobStatus.not_found
    assert twilio.to("+447700900303") == []
    for package in (red, green):  # (green's 8 s window may have ended: its outcome goes by email too)
        notes = await notifications(fallback_world, package["id"])
        assert len(notes) >= 3 and {n["channel"] for n in notes} == {"email"}


async def test_dev_outbox_keeps_messages_when_nothing_is_configured(world: World) -> None:
    # The session's default service has no SMTP_HOST and no TWILIO_ACCOUNT_SID.
    await world.users["Alpha Care"]("PUT", "/api/me/preferences", {"phone": "+447700900304"}, expect=200)
    package = await world.post(urgency="red")

    async def kept() -> list[dict]:
        found = await world.broker("GET", "/dev/outbox?format=json", expect=200)
        return [m for m in found if package["id"] in (m.get("text") or m.get("body") or "")]

    messages = await eventually(kept, timeout=30)
    assert {m["channel"] for m in messages} == {"email", "sms"}
    assert any(m["to"] == "+447700900304" for m in messages)
    page = await world.broker.raw("GET", "/dev/outbox", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "Dev outbox" in page.text and package["id"] in page.text
    as_json = await world.broker.raw("GET", "/dev/outbox", headers={"Accept": "application/json"})
    assert isinstance(as_json.json(), list)
