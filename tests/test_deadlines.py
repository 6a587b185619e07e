"""Deadlines with arq: red windows end as unplaced or awaiting_award, exactly once, across
killed and duplicated workers (DEADLINE_RED_S=3 in the test service)."""

from __future__ import annotations

import asyncio
import signal
import time

from config import keys
from tests.conftest import World
from tests.waits import EventLogReader, WaitTimeout, eventually


async def wait_status(world: World, package_id: str, status: str, timeout: float = 15) -> dict:
    """The package once it has `status`; raises (with the status it had) if it never gets it."""
    seen: list[str] = []

    async def reached() -> dict | None:
        package = await world.broker("GET", f"/api/packages/{package_id}", expect=200)
        seen[:] = [package["status"]]
        return package if package["status"] == status else None

    try:
        return await eventually(reached, f"package {package_id} becoming {status}", timeout)
    except WaitTimeout as exc:
        raise WaitTimeout(f"{exc}; it was {seen}") from None


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


async def test_worker_killed_while_deadline_pending_fires_once_after_restart(own_world: World) -> None:
    world, service = own_world, own_world.service
    for n, proc in enumerate(service.worker_procs):
        if proc.poll() is None:
            service.kill_worker(n, signal.SIGKILL)
    package = await world.post(urgency="red")
    # With no worker running, the window's end passes and nothing closes it.
    await until_past(package["deadline"])
    assert (await world.broker("GET", f"/api/packages/{package['id']}", expect=200))["status"] == "live"
    assert await terminal_events(world, package["id"]) == []
    service.start_worker()
    service.start_worker()  # two workers racing for the same recovered job
    final = await wait_status(world, package["id"], "unplaced")
    assert final["status"] == "unplaced"
    async with EventLogReader(service.redis_url) as log:
        # Both workers have started (reconciled and swept) and the window's job has run:
        # the window is closed, so nothing is left that could close it again.
        await log.job_finished(keys.deadline_job_id(package["id"], 1))
        unplaced = [e.type for e in await log.events(package_id=package["id"]) if e.type in ("package.unplaced", "package.awaiting_award")]
    assert unplaced == ["package.unplaced"]
    assert await terminal_events(world, package["id"]) == ["package.unplaced"]


async def test_many_deadlines_with_two_workers_each_fire_once(own_world: World) -> None:
    world, service = own_world, own_world.service
    service.start_worker()
    packages = await asyncio.gather(*[world.post(urgency="red") for _ in range(10)])
    for package in packages:
        await wait_status(world, package["id"], "unplaced")
    async with EventLogReader(service.redis_url) as log:
        for package in packages:  # every window's job has run: none can fire later
            await log.job_finished(keys.deadline_job_id(package["id"], 1))
    for package in packages:
        assert await terminal_events(world, package["id"]) == ["package.unplaced"]


async def test_data_and_sessions_survive_a_web_restart(own_world: World) -> None:
    world, service = own_world, own_world.service
    package = await world.post()
    port = service.ports[0]
    service.kill_web(0, signal.SIGKILL)
    service.web_procs.pop(0)
    service.ports.pop(0)
    service.start_web(port)
    again = await world.broker("GET", f"/api/packages/{package['id']}", expect=200)
    assert again["status"] == "live" and again["postcode"] == "SG1 1AA"
    assert (await world.users["Alpha Care"]("GET", "/api/packages", expect=200))[0]["id"] == package["id"]


async def until_past(deadline: str, margin_s: float = 0.5) -> None:
    """Sleep until the ISO deadline has passed: the passing of time is what is tested."""
    from core import parse_iso

    await asyncio.sleep(max(0.0, parse_iso(deadline) + margin_s - time.time()))
