"""The back office's API: the audit trail of administrative changes, users listed,
deactivated (sessions and sockets end at once) and reactivated, areas edited."""

from __future__ import annotations

import asyncio
import csv
import io

import websockets
from websockets.exceptions import ConnectionClosed

from tests.conftest import PASSWORD, World, login


async def test_every_administrative_change_is_in_the_audit_trail(world: World) -> None:
    alpha = world.providers["Alpha Care"]["id"]
    await world.broker("PATCH", f"/api/providers/{alpha}", {"status": "suspended", "reason": "Safeguarding concern raised"}, expect=200)
    await world.broker("PATCH", f"/api/providers/{alpha}", {"phone": "+447700900123"}, expect=200)
    stevenage = next(a for a in await world.broker("GET", "/api/areas", expect=200) if a["name"] == "Stevenage")
    await world.broker("PATCH", f"/api/areas/{stevenage['id']}", {"districts": ["SG1", "SG2", "SG3"]}, expect=200)
    user_id = world.users["Alpha Care"].user["id"]
    await world.admin("POST", f"/api/users/{user_id}/unlock", expect=204)

    trail = await world.admin("GET", "/api/audit?per_page=200", expect=200)
    actions = [e["action"] for e in trail["items"]]
    assert trail["total"] == len(actions)
    # Newest first: the unlock, the area edit, the phone, the suspension, then the set-up.
    assert actions[:4] == ["user.unlocked", "area.updated", "provider.updated", "provider.status_changed"]
    assert actions.count("provider.created") == 3 and actions.count("user.created") == 4
    assert actions.count("area.created") == 2
    suspended = trail["items"][3]
    assert suspended["actor_email"] == "broker@council.test" and suspended["target_id"] == alpha
    assert suspended["before"]["status"] == "active" and suspended["after"]["status"] == "suspended"
    assert suspended["reason"] == "Safeguarding concern raised"
    assert suspended["changes"] == ["status"]
    area_edit = trail["items"][1]
    assert area_edit["before"]["districts"] == ["SG1", "SG2"] and area_edit["after"]["districts"] == ["SG1", "SG2", "SG3"]

    only_alpha = await world.admin("GET", f"/api/audit?target_id={alpha}", expect=200)
    assert [e["action"] for e in only_alpha["items"]] == ["provider.updated", "provider.status_changed", "provider.created"]
    providers = await world.admin("GET", "/api/audit?action=provider.&per_page=2&page=2", expect=200)
    assert providers["total"] == 5 and len(providers["items"]) == 2
    by_reason = await world.admin("GET", "/api/audit?q=safeguarding", expect=200)
    assert [e["action"] for e in by_reason["items"]] == ["provider.status_changed"]
    future = await world.admin("GET", "/api/audit?from=2999-01-01", expect=200)
    assert future["total"] == 0

    exported = await world.admin.raw("GET", "/api/audit?format=csv&action=provider.status_changed")
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert len(rows) == 1 and rows[0]["reason"] == "Safeguarding concern raised" and rows[0]["changes"] == "status"

    assert (await world.broker.raw("GET", "/api/audit")).status_code == 403
    bad = await world.admin.raw("GET", "/api/audit?from=yesterday&page=0")
    assert bad.status_code == 422 and set(bad.json()["error"]["fields"]) == {"from", "page"}


async def test_deactivated_user_is_signed_out_everywhere_at_once(world: World) -> None:
    alpha = world.users["Alpha Care"]
    email = alpha.user["email"]
    second = await login(world.service.url(), email, PASSWORD)
    world.clients.append(second)
    async with websockets.connect(f"{world.service.ws_url()}?token={alpha.token}") as ws:
        await world.post()
        assert (await asyncio.wait_for(ws.recv(), 10))
        listed = await world.admin("POST", f"/api/users/{alpha.user['id']}/deactivate", {"reason": "Left the company"}, expect=200)
        assert listed["active"] is False
        try:
            while True:
                await asyncio.wait_for(ws.recv(), 10)
        except ConnectionClosed as closed:
            assert closed.rcvd is not None and closed.rcvd.code == 4401
    for client in (alpha, second):
        assert (await client.raw("GET", "/api/me")).status_code == 401
    refused = await world.admin.raw("POST", "/api/auth/login", json={"email": email, "password": PASSWORD})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "account_deactivated"
    wrong = await world.admin.raw("POST", "/api/auth/login", json={"email": email, "password": "not-the-password-1"})
    assert wrong.status_code == 401

    users = await world.admin("GET", f"/api/users?q={email}", expect=200)
    assert [(u["email"], u["active"]) for u in users["items"]] == [(email, False)]
    await world.admin("POST", f"/api/users/{alpha.user['id']}/reactivate", expect=200)
    again = await login(world.service.url(), email, PASSWORD)
    world.clients.append(again)
    assert (await again("GET", "/api/me", expect=200))["email"] == email
    actions = [e["action"] for e in (await world.admin("GET", f"/api/audit?target_id={alpha.user['id']}", expect=200))["items"]]
    assert actions == ["user.reactivated", "user.deactivated", "user.created"]


async def test_users_are_listed_and_admins_cannot_deactivate_themselves(world: World) -> None:
    everyone = await world.admin("GET", "/api/users", expect=200)
    assert everyone["total"] == 5
    assert {u["role"] for u in everyone["items"]} == {"admin", "broker", "provider"}
    providers = await world.admin("GET", "/api/users?role=provider&per_page=2", expect=200)
    assert providers["total"] == 3 and len(providers["items"]) == 2
    alpha_id = world.providers["Alpha Care"]["id"]
    team = await world.admin("GET", f"/api/users?provider_id={alpha_id}", expect=200)
    assert [u["provider_id"] for u in team["items"]] == [alpha_id]
    me = world.admin.user["id"]
    refused = await world.admin.raw("POST", f"/api/users/{me}/deactivate")
    assert refused.status_code == 409
    assert (await world.admin.raw("POST", "/api/users/usr_nosuch/deactivate")).status_code == 404
    assert (await world.broker.raw("GET", "/api/users")).status_code == 403
    assert (await world.admin.raw("GET", "/api/users?role=king")).status_code == 422


async def test_area_edit_moves_packages_to_the_new_districts(world: World) -> None:
    areas = {a["name"]: a for a in await world.broker("GET", "/api/areas", expect=200)}
    taken = await world.broker.raw("PATCH", f"/api/areas/{areas['Stevenage']['id']}", json={"districts": ["SG1", "SG4"]})
    assert taken.status_code == 422 and "SG4" in taken.json()["error"]["fields"]["districts"]
    await world.broker("PATCH", f"/api/areas/{areas['North Herts']['id']}", {"districts": ["SG1", "SG4", "SG6"]}, expect=422)
    await world.broker("PATCH", f"/api/areas/{areas['Stevenage']['id']}", {"districts": ["SG2"]}, expect=200)
    await world.broker("PATCH", f"/api/areas/{areas['North Herts']['id']}", {"districts": ["SG1", "SG4", "SG6"]}, expect=200)
    created = await world.post()
    assert created["area"] == "North Herts"
    renamed = await world.broker.raw("PATCH", f"/api/areas/{areas['Stevenage']['id']}", json={"name": "Renamed", "districts": ["SG2"]})
    assert renamed.status_code == 422 and set(renamed.json()["error"]["fields"]) == {"name"}
    unknown = await world.broker.raw("PATCH", f"/api/areas/{areas['Stevenage']['id']}", json={"districts": ["ZZ99"]})
    assert unknown.status_code == 422 and set(unknown.json()["error"]["fields"]) == {"districts"}
