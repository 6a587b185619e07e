"""A second service for the tier tests: RELEASE=tiered and a short red window, on its own
Redis database so it never disturbs the default service's tests."""

from __future__ import annotations

import asyncio
import time
from typing import Any, AsyncIterator, Callable, Iterator

import pytest

from tests.conftest import World, emptied, world_on
from tests.support import RedisServer, Service

RED_WINDOW_S = 5
TIERED_ENV = {"RELEASE": "tiered", "DEADLINE_RED_S": str(RED_WINDOW_S), "LOCKOUT_S": "2"}
TIERED_DB = 6


@pytest.fixture(scope="module")
def tiered_service(redis_server: RedisServer) -> Iterator[Service]:
    svc = Service(redis_server.url(TIERED_DB), env=TIERED_ENV).start()
    yield svc
    svc.stop()


@pytest.fixture
def tiered_clean(tiered_service: Service) -> Service:
    return emptied(tiered_service)


@pytest.fixture
async def tiered(tiered_clean: Service) -> AsyncIterator[World]:
    """The default test world (Alpha primary, Beta secondary, Gamma untiered = reserve in
    Stevenage), served with RELEASE=tiered."""
    async with world_on(tiered_clean) as w:
        yield w


async def wait_package(world: World, package_id: str, done: Callable[[dict[str, Any]], bool], timeout: float = 40) -> dict[str, Any]:
    """Poll the broker's view until `done` holds (generous: the machine is shared)."""
    deadline = time.monotonic() + timeout
    while True:
        package = await world.broker("GET", f"/api/packages/{package_id}", expect=200)
        if done(package):
            return package
        assert time.monotonic() < deadline, f"package never reached the state; last seen {package}"
        await asyncio.sleep(0.2)
