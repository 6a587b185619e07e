"""Redis that fails over: web and worker find the primary through Redis Sentinel, and carry
on after the primary is SIGKILLed and a replica promoted, with no acknowledged post lost.

Its own Redis processes and service (it kills a server)."""

from __future__ import annotations

import asyncio
import collections
import time

import httpx
import pytest

from tests.conftest import PASSWORD, login, package_body, provider_body
from tests.sentinel import SentinelCluster, wait_for_failover
from tests.support import ADMIN_EMAIL, ADMIN_PASSWORD, Service

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(params=["0", "1"], ids=["async-replication", "wait-1-replica"])
def failover_service(request):
    cluster = SentinelCluster().start()
    service = Service("", env={"REDIS_SENTINELS": cluster.sentinels, "REDIS_MASTER_NAME": "hbprimary",
                               "LOGIN_RATE_PER_MIN": "100000", "REDIS_WAIT_REPLICAS": request.param})
    try:
        service.start()
        yield cluster, service
    finally:
        service.stop()
        cluster.stop()


async def test_primary_killed_mid_posting_loses_no_acknowledged_post(failover_service) -> None:
    cluster, service = failover_service
    base = service.url()
    admin = await login(base, ADMIN_EMAIL, ADMIN_PASSWORD)
    await admin("POST", "/api/users", {"email": "broker@council.test", "password": PASSWORD, "role": "broker"}, expect=201)
    broker = await login(base, "broker@council.test", PASSWORD)
    await broker("POST", "/api/areas", {"name": "Stevenage", "districts": ["SG1", "SG2"]}, expect=201)
    await broker("POST", "/api/providers", provider_body("Alpha Care"), expect=201)

    acknowledged: list[str] = []
    latencies_ms: list[float] = []
    statuses: collections.Counter[int] = collections.Counter()
    failing_since: float | None = None
    unavailable_s = 0.0
    killed = asyncio.Event()
    after_failover_ok = 0

    async def post_steadily() -> None:
        nonlocal failing_since, unavailable_s, after_failover_ok
        n = 0
        async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {broker.token}"}, timeout=10) as http:
            while after_failover_ok < 20:
                n += 1
                started = time.perf_counter()
                try:
                    response = await http.post("/api/packages", json=package_body(reference=f"FO-{n}"))
                    code = response.status_code
                except httpx.HTTPError:
                    code = 0  # no answer at all
                statuses[code] += 1
                now = time.monotonic()
                if code == 201:
                    acknowledged.append(response.json()["id"])
                    if not killed.is_set():
                        latencies_ms.append((time.perf_counter() - started) * 1000)
                    if failing_since is not None:
                        unavailable_s += now - failing_since
                        failing_since = None
                    if killed.is_set():
                        after_failover_ok += 1
                elif failing_since is None:
                    failing_since = now
                await asyncio.sleep(0.02)

    poster = asyncio.create_task(post_steadily())
    while len(acknowledged) < 20:
        await asyncio.sleep(0.05)
        assert not poster.done(), poster
    old = cluster.primary_port()
    cluster.kill(cluster.name_of(old))
    killed.set()
    failover_s = await asyncio.to_thread(wait_for_failover, cluster, old)
    await asyncio.wait_for(poster, timeout=120)

    lost = []
    for package_id in acknowledged:
        response = await broker.raw("GET", f"/api/packages/{package_id}")
        if response.status_code != 200:
            lost.append(package_id)
    latencies_ms.sort()
    print(f"\npost_p50_ms={latencies_ms[len(latencies_ms) // 2]:.1f} post_max_ms={latencies_ms[-1]:.1f} "
          f"failover_s={failover_s:.1f} unavailable_s={unavailable_s:.1f} posts={sum(statuses.values())} "
          f"statuses={dict(statuses)} acknowledged={len(acknowledged)} lost={len(lost)}")
    assert after_failover_ok >= 20, "the service did not carry on after the failover"
    assert not lost, f"acknowledged posts lost in the failover: {lost}"
    assert statuses[500] == 0, f"a failover must answer 503, never 500: {dict(statuses)}"
    for client in (admin, broker):
        await client.aclose()
