"""RELEASE=tiered: a broker releases the next tier now instead of waiting for the window;
the old window's deadline then does nothing, the new one fires once. With RELEASE=all there
is no next tier (409)."""

from __future__ import annotations

from tests.conftest import World
from tests.tiered import tiered, tiered_clean, tiered_service, wait_package  # noqa: F401 (fixtures)


async def test_release_next_tier_now(tiered: World) -> None:
    w = tiered
    package = await w.post(urgency="amber")
    pid = package["id"]
    assert package["matched"] == 1
    released = await w.broker("POST", f"/api/packages/{pid}/release-next-tier", expect=200)
    assert released["wave"] == 2 and released["released_tiers"] == ["primary", "secondary"] and released["matched"] == 2
    assert (await w.users["Beta Homecare"].raw("GET", f"/api/packages/{pid}")).status_code == 200
    report = await w.broker("GET", f"/api/packages/{pid}/match-report", expect=200)
    assert report["matched"] == 2 and report["excluded"]["tier"] == 1  # Gamma (reserve) still waits
    await w.broker("POST", f"/api/packages/{pid}/release-next-tier", expect=200)
    last = await w.broker.raw("POST", f"/api/packages/{pid}/release-next-tier")
    assert last.status_code == 409 and last.json()["error"]["code"] == "no_tier_left"
    history = await w.broker("GET", f"/api/packages/{pid}/history", expect=200)
    waves = [e for e in history if e["type"] == "package.wave_released"]
    assert [e["data"]["tier"] for e in waves] == ["secondary", "reserve"]


async def test_no_next_tier_when_everyone_is_told_at_once(world: World) -> None:
    package = await world.post()
    response = await world.broker.raw("POST", f"/api/packages/{package['id']}/release-next-tier")
    assert response.status_code == 409 and response.json()["error"]["code"] == "not_tiered"
