"""Fixtures for notification tests: one aiosmtpd server and one Twilio stand-in per session,
and a service (web + worker) whose email and SMS go to them, on its own Redis database."""

from __future__ import annotations

from typing import Any, AsyncIterator, Iterator

import pytest
import redis

from config import keys
from tests.conftest import Api, World, login
from tests.notifier.standins import SmtpSink, TwilioStandIn
from tests.support import ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, RedisServer, Service
from tests.waits import WaitTimeout, eventually

__all__ = ["eventually", "notifications", "settled", "notify_env", "world_on", "bootstrap_admin", "email_of"]

NOTIFY_DB = 1


def notify_env(smtp: SmtpSink, twilio: TwilioStandIn, **extra: str) -> dict[str, str]:
    return {
        "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port), "SMTP_STARTTLS": "false", "MAIL_FROM": "brokerage@council.test",
        "TWILIO_ACCOUNT_SID": twilio.account_sid, "TWILIO_AUTH_TOKEN": twilio.auth_token, "TWILIO_FROM": "+447700900000",
        "TWILIO_API_BASE": twilio.base, "PUBLIC_URL": "https://brokerage.example.test",
        "DEADLINE_GREEN_S": "8", **extra,
    }


@pytest.fixture(scope="session")
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture(scope="session")
def twilio() -> Iterator[TwilioStandIn]:
    standin = TwilioStandIn().start()
    yield standin
    standin.stop()


@pytest.fixture(scope="session")
def notify_service(redis_server: RedisServer, smtp_sink: SmtpSink, twilio: TwilioStandIn) -> Iterator[Service]:
    svc = Service(redis_server.url(NOTIFY_DB), env=notify_env(smtp_sink, twilio)).start()
    yield svc
    svc.stop()


@pytest.fixture
async def notify_world(notify_service: Service, redis_server: RedisServer, smtp_sink: SmtpSink, twilio: TwilioStandIn) -> AsyncIterator[World]:
    async with world_on(notify_service, redis_server.url(NOTIFY_DB), smtp_sink, twilio) as w:
        yield w


class world_on:
    """A fresh database with the conftest's world (broker, areas, three providers) on `service`."""

    def __init__(self, service: Service, url: str, smtp: SmtpSink, twilio: TwilioStandIn) -> None:
        self.service, self.url, self.smtp, self.twilio = service, url, smtp, twilio
        self.world: World | None = None

    async def __aenter__(self) -> World:
        if self.smtp.controller is None:
            self.smtp.start()
        with redis.Redis.from_url(self.url) as r:
            r.flushdb()
            # As on a new deployment, where the first process to open creates the group: the
            # worker's consumer reads on from it (or, if it saw the group vanish first,
            # re-creates it from the start of the stream), so no event of the world is missed.
            try:
                r.xgroup_create(keys.EVENTS, keys.NOTIFY_GROUP, id="0", mkstream=True)
            except redis.ResponseError as exc:  # the consumer was first: just as good
                if "BUSYGROUP" not in str(exc):
                    raise
        await bootstrap_admin(self.service)
        self.smtp.clear()
        self.twilio.clear()
        base = self.service.url()
        admin = await login(base, ADMIN_EMAIL, ADMIN_PASSWORD)
        await admin("POST", "/api/users", {"email": "broker@council.test", "password": PASSWORD, "role": "broker"}, expect=201)
        broker = await login(base, "broker@council.test", PASSWORD)
        await broker("POST", "/api/areas", {"name": "Stevenage", "districts": ["SG1", "SG2"]}, expect=201)
        w = World(self.service, admin, broker, {}, {}, [admin, broker])
        await w.add_provider("Alpha Care", cqc_rating="good", tiers={"Stevenage": "primary"})
        await w.add_provider("Beta Homecare", cqc_rating="outstanding", tiers={"Stevenage": "secondary"})
        await w.add_provider("Gamma Support", cqc_rating="requires_improvement", tiers={})
        self.world = w
        return w

    async def __aexit__(self, *exc: Any) -> None:
        assert self.world is not None
        for client in self.world.clients:
            await client.aclose()


async def bootstrap_admin(service: Service) -> None:
    from accounts import AccountStore
    from config import Settings
    from config.redis import connect

    store_redis = connect(service.redis_url)
    try:
        await AccountStore(store_redis, Settings.from_env(service.environment())).ensure_admin(ADMIN_EMAIL, ADMIN_PASSWORD)
    finally:
        await store_redis.aclose()


def email_of(api: Api) -> str:
    return str(api.user["email"])


async def notifications(world: World, package_id: str) -> list[dict]:
    return await world.broker("GET", f"/api/notifications?package_id={package_id}", expect=200)


async def settled(world: World, package_id: str, count: int, statuses: tuple[str, ...] = ("sent", "delivered", "failed"), timeout: float = 30.0) -> list[dict]:
    """Wait until the package has at least `count` notifications, all with an outcome;
    raises (naming what it saw) if they never do. Callers assert the exact list."""
    last: list[dict] = []

    async def check() -> list[dict] | None:
        last[:] = await notifications(world, package_id)
        return list(last) if len(last) >= count and all(n["status"] in statuses for n in last) else None

    try:
        return await eventually(check, f"{count} notifications of {package_id} with an outcome in {statuses}", timeout)
    except WaitTimeout as exc:
        raise WaitTimeout(f"{exc}; the package's notifications: {[(n['channel'], n['event'], n['status']) for n in last]}") from None
