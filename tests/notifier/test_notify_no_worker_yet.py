"""Packages posted before any worker has ever started are still notified when one starts:
the consumer group exists from the first process that opens the service, not from the
first worker."""

from __future__ import annotations

import redis

from tests.conftest import World, login, package_body, provider_body
from tests.notifier.conftest import bootstrap_admin, eventually, notify_env
from tests.notifier.standins import SmtpSink, TwilioStandIn
from tests.support import ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, RedisServer, Service

FRESH_DB = 9


async def test_events_before_the_first_worker_are_notified(redis_server: RedisServer, smtp_sink: SmtpSink, twilio: TwilioStandIn) -> None:
    with redis.Redis.from_url(redis_server.url(FRESH_DB)) as r:
        r.flushdb()
    svc = Service(redis_server.url(FRESH_DB), env=notify_env(smtp_sink, twilio), workers=0).start()
    try:
        await bootstrap_admin(svc)
        if smtp_sink.controller is None:
            smtp_sink.start()
        smtp_sink.clear()
        admin = await login(svc.url(), ADMIN_EMAIL, ADMIN_PASSWORD)
        provider = await admin("POST", "/api/providers", provider_body("Early Care", tiers={}), expect=201)
        await admin("POST", "/api/users", {"email": "early@care.test", "password": PASSWORD, "role": "provider", "provider_id": provider["id"]}, expect=201)
        package = await admin("POST", "/api/packages", package_body(urgency="green"), expect=201)
        assert package["matched"] == 1
        world = World(svc, admin, admin, {}, {}, [admin])
        svc.start_worker()

        async def delivered() -> list[dict]:
            rows = await world.broker("GET", f"/api/notifications?package_id={package['id']}", expect=200)
            return [n for n in rows if n["status"] in ("sent", "delivered") and n["event"] == "package.matched"]

        sent = await eventually(delivered, timeout=40)
        assert [(n["channel"], n["event"]) for n in sent] == [("email", "package.matched")]
        await admin.aclose()
    finally:
        svc.stop()
