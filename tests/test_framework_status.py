"""Providers' framework status (active, suspended, pending_visit) and a package's excluded
providers: neither a pending_visit provider nor an excluded one is ever matched."""

from __future__ import annotations

import json

from tests.conftest import World
from tests.test_availability import slot


async def matched_ids(world: World, package_id: str) -> set[str]:
    """Every provider the event log says was matched to the package (the proof of absence)."""
    history = await world.broker("GET", f"/api/packages/{package_id}/history", expect=200)
    return {e["data"]["provider_id"] for e in history if e["type"] == "package.matched"}


async def test_pending_visit_provider_is_never_matched_until_active(world: World) -> None:
    await world.add_provider("Newcomer Care", status="pending_visit")
    newcomer = world.providers["Newcomer Care"]
    assert newcomer["status"] == "pending_visit"
    first = await world.post()
    assert first["matched"] == 3
    assert newcomer["id"] not in await matched_ids(world, first["id"])
    # Declaring availability does not bring the live package to it either.
    await world.users["Newcomer Care"]("POST", "/api/availability", slot(), expect=201)
    assert newcomer["id"] not in await matched_ids(world, first["id"])
    assert (await world.users["Newcomer Care"].raw("GET", f"/api/packages/{first['id']}")).status_code == 404

    await world.broker("PATCH", f"/api/providers/{newcomer['id']}", {"status": "active", "reason": "Monitoring visit passed"}, expect=200)
    second = await world.post()
    assert second["matched"] == 4
    assert newcomer["id"] in await matched_ids(world, second["id"])


async def test_status_is_one_of_three(world: World) -> None:
    alpha = world.providers["Alpha Care"]["id"]
    response = await world.broker.raw("PATCH", f"/api/providers/{alpha}", json={"status": "paused"})
    assert response.status_code == 422
    assert "pending_visit" in response.json()["error"]["fields"]["status"]
    created = await world.broker.raw("POST", "/api/providers", json={"name": "X", "status": "gone"})
    assert created.status_code == 422 and "status" in created.json()["error"]["fields"]
    listed = {p["id"]: p["status"] for p in await world.broker("GET", "/api/providers", expect=200)}
    assert set(listed.values()) == {"active"}


async def test_excluded_provider_is_never_matched_and_broker_sees_why(world: World) -> None:
    alpha = world.providers["Alpha Care"]["id"]
    created = await world.post(excluded_providers=[alpha], excluded_reason="Service user asked not to have Alpha again")
    assert created["matched"] == 2
    assert alpha not in await matched_ids(world, created["id"])
    full = await world.broker("GET", f"/api/packages/{created['id']}", expect=200)
    assert full["excluded_providers"] == [alpha]
    assert full["excluded_reason"] == "Service user asked not to have Alpha again"
    assert (await world.users["Alpha Care"].raw("GET", f"/api/packages/{created['id']}")).status_code == 404
    # Others see the package but not who was ruled out or why.
    beta_view = await world.users["Beta Homecare"]("GET", f"/api/packages/{created['id']}", expect=200)
    assert "excluded" not in json.dumps(beta_view) and alpha not in json.dumps(beta_view)
    # Availability posted afterwards does not bring it to the excluded provider.
    await world.users["Alpha Care"]("POST", "/api/availability", slot(), expect=201)
    assert alpha not in await matched_ids(world, created["id"])
    assert [p["id"] for p in await world.users["Alpha Care"]("GET", "/api/packages", expect=200)] == []


async def test_excluded_providers_must_be_known_provider_ids(world: World) -> None:
    for bad in (["prv_nosuch"], "prv_x", [1]):
        response = await world.broker.raw("POST", "/api/packages", json={**_body(), "excluded_providers": bad})
        assert response.status_code == 422, bad
        assert "excluded_providers" in response.json()["error"]["fields"]
    packages = await world.broker("GET", "/api/packages", expect=200)
    assert packages == [] or "items" in packages and packages["items"] == []


def _body() -> dict:
    from tests.conftest import package_body

    return package_body()
