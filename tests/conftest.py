"""Fixtures: one real Redis and one running service (web + worker) per session; every test
starts from an empty database with just the bootstrap admin."""

from __future__ import annotations

import contextlib

import datetime as dt
from dataclasses import dataclass
from typing import Any, AsyncIterator, Callable, Iterator

import httpx
import pytest
import redis

from tests.support import ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, RedisServer, Service

SERVICE_ENV = {"DEADLINE_RED_S": "3", "LOCKOUT_S": "2", "LOGIN_RATE_PER_MIN": "100000",
               # Webhook receivers that fail are tried again within a second, not minutes.
               "WEBHOOK_RETRY_BASE_S": "0.2", "WEBHOOK_RETRY_MAX_S": "1", "WEBHOOK_TIMEOUT_S": "2",
               # A hundred sockets a user, so the limit's test need not open five hundred.
               "WS_MAX_PER_USER": "100"}


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def service(redis_server: RedisServer) -> Iterator[Service]:
    svc = Service(redis_server.url(0), env=SERVICE_ENV).start()
    yield svc
    svc.stop()


@pytest.fixture
def own_service() -> Iterator[Callable[..., Service]]:
    """Starts a service of the test's own (its own Redis server, web and worker processes),
    for a test that kills processes: the session's service never depends on what ran before."""
    started: list[tuple[RedisServer, Service]] = []

    def start(webs: int = 1, workers: int = 1) -> Service:
        server = RedisServer()
        svc = Service(server.url(0), env=SERVICE_ENV, webs=webs, workers=workers)
        started.append((server, svc))
        return svc.start()

    yield start
    for server, svc in reversed(started):
        svc.stop()
        server.stop()


@pytest.fixture
def two_webs(service: Service) -> Service:
    """A second web process on the same Redis: several processes must act as one service."""
    if len(service.web_procs) < 2:
        service.start_web()
    return service


@pytest.fixture
def clean(service: Service, redis_server: RedisServer) -> Service:
    return emptied(service)


def emptied(service: Service) -> Service:
    """An empty store and the bootstrap admin, as a new deployment has. Sync: the admin
    bootstrap runs its own event loop."""
    with redis.Redis.from_url(service.redis_url) as r:
        r.flushdb()
    _bootstrap_admin(service)
    return service


def _bootstrap_admin(service: Service) -> None:
    import asyncio

    from accounts import AccountStore
    from config import Settings
    from config.redis import connect

    async def run() -> None:
        store_redis = connect(service.redis_url)
        try:
            await AccountStore(store_redis, Settings.from_env(service.environment())).ensure_admin(ADMIN_EMAIL, ADMIN_PASSWORD)
        finally:
            await store_redis.aclose()

    # A private loop: this runs inside a sync fixture, before the test's loop is used.
    asyncio.run(run())


class Api:
    """A signed-in (or anonymous) client of one web process."""

    def __init__(self, base_url: str, token: str | None = None, user: dict | None = None) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.AsyncClient(base_url=base_url, headers=headers, timeout=20)
        self.token = token
        self.user = user or {}

    async def __call__(self, method: str, path: str, body: Any = None, expect: int | None = None, **kw: Any) -> Any:
        response = await self.http.request(method, path, json=body, **kw)
        if expect is not None:
            assert response.status_code == expect, f"{method} {path} -> {response.status_code} {response.text}"
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    async def raw(self, method: str, path: str, **kw: Any) -> httpx.Response:
        return await self.http.request(method, path, **kw)

    async def aclose(self) -> None:
        await self.http.aclose()


async def login(base_url: str, email: str, password: str) -> Api:
    async with httpx.AsyncClient(base_url=base_url) as http:
        response = await http.post("/api/auth/login", json={"email": email, "password": password})
        assert response.status_code == 200, response.text
        body = response.json()
    return Api(base_url, body["token"], body["user"])


def tomorrow() -> str:
    return (dt.date.today() + dt.timedelta(days=1)).isoformat()


def package_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "postcode": "SG1 1AA", "urgency": "amber", "service_type": "homecare", "client_group": "older_people",
        "hours_per_week": 10.5, "start_date": tomorrow(),
        "visits": [{"days": ["mon", "wed", "fri"], "band": "morning", "minutes": 45, "carers": 1, "time_critical": False}],
        "specialisms": [], "summary": "Mrs Testcase of 12 Example Road, lives alone after a fall",
        "reference": "HCC-0001",
    }
    body.update(overrides)
    return body


def provider_body(name: str, **overrides: Any) -> dict[str, Any]:
    body = {
        "name": name, "cqc_rating": "good", "specialisms": ["dementia"], "client_groups": ["older_people"],
        "service_types": ["homecare"], "coverage": [{"kind": "districts", "codes": ["SG1", "SG2"]}],
        "tiers": {"Stevenage": "primary"}, "email": f"{name.lower().replace(' ', '.')}@providers.test",
    }
    body.update(overrides)
    return body


@dataclass
class World:
    service: Service
    admin: Api
    broker: Api
    providers: dict[str, dict]
    users: dict[str, Api]  # provider name -> a signed-in user of that provider
    clients: list[Api]

    async def add_provider(self, name: str, **overrides: Any) -> Api:
        provider = await self.broker("POST", "/api/providers", provider_body(name, **overrides), expect=201)
        self.providers[name] = provider
        email = f"staff.{len(self.clients)}@{name.lower().replace(' ', '-')}.test"
        await self.admin("POST", "/api/users", {"email": email, "password": PASSWORD, "role": "provider", "provider_id": provider["id"]}, expect=201)
        user = await login(self.service.url(), email, PASSWORD)
        self.users[name] = user
        self.clients.append(user)
        return user

    async def post(self, **overrides: Any) -> dict:
        return await self.broker("POST", "/api/packages", package_body(**overrides), expect=201)


@pytest.fixture
async def world(clean: Service) -> AsyncIterator[World]:
    async with world_on(clean) as w:
        yield w


@contextlib.asynccontextmanager
async def world_on(service: Service) -> AsyncIterator[World]:
    """The default world (build_world) on `service`, its clients closed afterwards."""
    w = await build_world(service)
    try:
        yield w
    finally:
        for client in w.clients:
            await client.aclose()


@pytest.fixture
async def own_world(own_service: Callable[..., Service]) -> AsyncIterator[World]:
    """The default world on a service of the test's own: for tests that kill or add processes."""
    w = await build_world(own_service())
    yield w
    for client in w.clients:
        await client.aclose()


async def build_world(service: Service) -> World:
    """Two areas, a broker, and three providers on the three tiers in Stevenage: Alpha
    primary, Beta secondary (SG1 only), Gamma untiered (so reserve)."""
    base = service.url()
    admin = await login(base, ADMIN_EMAIL, ADMIN_PASSWORD)
    await admin("POST", "/api/users", {"email": "broker@council.test", "password": PASSWORD, "role": "broker"}, expect=201)
    broker = await login(base, "broker@council.test", PASSWORD)
    await broker("POST", "/api/areas", {"name": "Stevenage", "districts": ["SG1", "SG2"]}, expect=201)
    await broker("POST", "/api/areas", {"name": "North Herts", "districts": ["SG4", "SG6"]}, expect=201)
    w = World(service, admin, broker, {}, {}, [admin, broker])
    await w.add_provider("Alpha Care", cqc_rating="good", tiers={"Stevenage": "primary"})
    await w.add_provider("Beta Homecare", cqc_rating="outstanding", tiers={"Stevenage": "secondary"}, coverage=[{"kind": "districts", "codes": ["SG1"]}])
    await w.add_provider("Gamma Support", cqc_rating="requires_improvement", tiers={})
    return w
