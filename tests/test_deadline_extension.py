"""A broker moves a live package's deadline later (DEADLINE_RED_S=3 in the test service):
the old deadline never fires, the new one fires exactly once, even across a worker restart,
and matched providers are told (`deadline.extended`)."""

from __future__ import annotations

import asyncio
import json
import time

import websockets

from core import iso, parse_iso
from tests.conftest import World
from tests.support import Service


async def history(world: World, package_id: str) -> list[dict]:
    return await world.broker("GET", f"/api/packages/{package_id}/history", expect=200)


async def wait_for_type(world: World, package_id: str, kind: str, timeout: float = 20) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        trail = await history(world, package_id)
        if any(e["type"] == kind for e in trail):
            return trail
        if time.monotonic() > deadline:
            raise AssertionError(f"no {kind} within {timeout}s: {[e['type'] for e in trail]}")
        await asyncio.sleep(0.2)


async def test_extended_window_closes_once_at_the_new_deadline(world: World) -> None:
    package = await world.post(urgency="red")
    old = parse_iso(package["deadline"])
    new = iso(old + 5)
    alpha = world.users["Alpha Care"]
    async with websockets.connect(f"{world.service.ws_url()}?token={alpha.token}") as ws:
        moved = await world.broker("POST", f"/api/packages/{package['id']}/deadline", {"deadline": new, "reason": "Providers asked for more time"}, expect=200)
        assert moved["deadline"] == new and moved["status"] == "live"
        told = None
        async with asyncio.timeout(10):
            while told is None:
                message = json.loads(await ws.recv())
                if message["type"] == "deadline.extended":
                    told = message
        assert told["data"]["package_id"] == package["id"] and told["data"]["deadline"] == new
        assert told["data"]["previous_deadline"] == package["deadline"]

    trail = await wait_for_type(world, package["id"], "package.unplaced")
    closes = [e for e in trail if e["type"] in ("package.unplaced", "package.awaiting_award")]
    assert len(closes) == 1
    # The old deadline did not fire: nothing closed before the new one.
    assert parse_iso(closes[0]["at"]) >= parse_iso(new)
    assert [e["type"] for e in trail].count("deadline.extended") == 1
    extended = next(e for e in trail if e["type"] == "deadline.extended")
    assert extended["data"]["reason"] == "Providers asked for more time"
    assert parse_iso(extended["at"]) < parse_iso(closes[0]["at"])
    # No second close after the old window's job had its turn (that ran before the new deadline).
    await asyncio.sleep(1)
    assert [e["type"] for e in await history(world, package["id"])].count("package.unplaced") == 1


async def test_extension_survives_a_worker_restart(world: World) -> None:
    service: Service = world.service
    package = await world.post(urgency="red")
    new = iso(parse_iso(package["deadline"]) + 5)
    await world.broker("POST", f"/api/packages/{package['id']}/deadline", {"deadline": new, "reason": "More time"}, expect=200)
    service.kill_worker()
    service.start_worker()
    trail = await wait_for_type(world, package["id"], "package.unplaced", timeout=30)
    closes = [e for e in trail if e["type"] in ("package.unplaced", "package.awaiting_award")]
    assert len(closes) == 1 and parse_iso(closes[0]["at"]) >= parse_iso(new)
    assert (await world.broker("GET", f"/api/packages/{package['id']}", expect=200))["status"] == "unplaced"


async def test_extension_refusals(world: World) -> None:
    package = await world.post(urgency="amber")
    url = f"/api/packages/{package['id']}/deadline"
    earlier = iso(parse_iso(package["deadline"]) - 60)
    for body, field in [({"deadline": earlier, "reason": "x"}, "deadline"), ({"deadline": "soon", "reason": "x"}, "deadline"),
                        ({"deadline": iso(parse_iso(package["deadline"]) + 60)}, "reason"),
                        ({"deadline": iso(time.time() + 90 * 86400), "reason": "x"}, "deadline")]:
        response = await world.broker.raw("POST", url, json=body)
        assert response.status_code == 422 and field in response.json()["error"]["fields"], body
    provider = await world.users["Alpha Care"].raw("POST", url, json={"deadline": iso(time.time() + 90000), "reason": "x"})
    assert provider.status_code == 403
    missing = await world.broker.raw("POST", "/api/packages/pkg_nope/deadline", json={"deadline": iso(time.time() + 90000), "reason": "x"})
    assert missing.status_code == 404
    await world.broker("POST", f"/api/packages/{package['id']}/withdraw", {"reason": "gone"}, expect=200)
    closed = await world.broker.raw("POST", url, json={"deadline": iso(parse_iso(package["deadline"]) + 60), "reason": "x"})
    assert closed.status_code == 409 and closed.json()["error"]["code"] == "package_not_live"
