"""Deadlines with arq: red windows end as unplaced or awaiting_award, exactly once, across
killed and duplicated workers (DEADLINE_RED_S=3 in the test service)."""

from __future__ import annotations

import asyncio
import signal
import time

from tests.conftest import World
from tests.support import Service


async def wait_status(world: World, package_id: str, status: str, timeout: float = 15) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        package = await world.broker("GET", f"/api/packages/{package_id}", expect=200)
        if package["status"] == status or time.monotonic() > deadline:
            return package
        await asyncio.sleep(0.2)


async def terminal_events(world: World, package_id: str) -> list[str]:
    history = await world.broker("GET", f"/api/packages/{package_id}/history", expect=200)
    return [e["type"] for e in history if e["type"] in ("package.unplaced", "package.awaiting_award")]


async def test_red_without_offers_becomes_unplaced(world: World) -> None:
    from core import parse_iso

    package = await world.post(urgency="red")
    assert (await world.broker("GET", f"/api/packages/{package['id']}", expect=200))["status"] == "live"
    final = await wait_status(world, package["id"], "unplaced")
    assert final["status"] == "unplaced"
    assert await terminal_events(world, package["id"]) == ["package.unplaced"]
    history = await world.broker("GET", f"/api/packages/{package['id']}/history", expect=200)
    closed_at = next(e["at"] for e in history if e["type"] == "package.unplaced")
    assert parse_iso(closed_at) >= parse_iso(package["deadline"])  # never before its window ended
    # providers no longer see it on their board
    assert await world.users["Alpha Care"]("GET", "/api/packages", expect=200) == []


async def test_red_with_an_offer_awaits_award_and_can_still_be_awarded(world: World) -> None:
    package = await world.post(urgency="red")
    made = await world.users["Alpha Care"]("POST", f"/api/packages/{package['id']}/offers", {"hourly_rate": 22, "start_date": package["start_date"], "can_meet_needs": True}, expect=201)
    final = await wait_status(world, package["id"], "awaiting_award")
    assert final["status"] == "awaiting_award"
    assert await terminal_events(world, package["id"]) == ["package.awaiting_award"]
    late = await world.users["Beta Homecare"].raw("POST", f"/api/packages/{package['id']}/offers", json={"hourly_rate": 22, "start_date": package["start_date"], "can_meet_needs": True})
    assert late.status_code == 409 and late.json()["error"]["code"] == "package_not_live"
    await world.broker("POST", f"/api/packages/{package['id']}/award", {"offer_id": made["id"]}, expect=200)


async def test_amber_deadline_is_a_day_away(world: World) -> None:
    from core import parse_iso

    package = await world.post(urgency="amber")
    assert abs(parse_iso(package["deadline"]) - time.time() - 86400) < 60


async def test_worker_killed_while_deadline_pending_fires_once_after_restart(world: World) -> None:
    service = world.service
    live = [n for n, p in enumerate(service.worker_procs) if p.poll() is None]
    for n in live:
        service.kill_worker(n, signal.SIGKILL)
    package = await world.post(urgency="red")
    await asyncio.sleep(4)
    assert (await world.broker("GET", f"/api/packages/{package['id']}", expect=200))["status"] == "live"
    service.start_worker()
    service.start_worker()  # two workers racing for the same recovered job
    final = await wait_status(world, package["id"], "unplaced")
    assert final["status"] == "unplaced"
    await asyncio.sleep(1.5)
    assert await terminal_events(world, package["id"]) == ["package.unplaced"]


async def test_many_deadlines_with_two_workers_each_fire_once(world: World) -> None:
    service = world.service
    while sum(p.poll() is None for p in service.worker_procs) < 2:
        service.start_worker()
    packages = await asyncio.gather(*[world.post(urgency="red") for _ in range(10)])
    for package in packages:
        await wait_status(world, package["id"], "unplaced")
    await asyncio.sleep(1)
    for package in packages:
        assert await terminal_events(world, package["id"]) == ["package.unplaced"]


async def test_data_and_sessions_survive_a_web_restart(world: World) -> None:
    service: Service = world.service
    package = await world.post()
    port = service.ports[0]
    service.kill_web(0, signal.SIGKILL)
    service.web_procs.pop(0)
    service.ports.pop(0)
    service.start_web(port)
    service.web_procs.insert(0, service.web_procs.pop())
    service.ports.insert(0, service.ports.pop())
    again = await world.broker("GET", f"/api/packages/{package['id']}", expect=200)
    assert again["status"] == "live" and again["postcode"] == "SG1 1AA"
    assert (await world.users["Alpha Care"]("GET", "/api/packages", expect=200))[0]["id"] == package["id"]
