"""GET /api/users/names: brokers' feed names the users in events; and the broker's messages
(recent events, socket) carry the actor those names are for."""

from __future__ import annotations

from tests.conftest import World, tomorrow


async def test_names_of_users_for_brokers_only(world: World) -> None:
    alpha = world.users["Alpha Care"]
    me = alpha.user
    answer = await world.broker("GET", f"/api/users/names?ids={me['id']},usr_00000000000,system", expect=200)
    assert answer == {"names": {me["id"]: me["email"]}, "providers": {me["id"]: world.providers["Alpha Care"]["id"]}}
    broker = world.broker.user
    assert await world.broker("GET", f"/api/users/names?ids={broker['id']}", expect=200) == {"names": {broker["id"]: broker["email"]}, "providers": {}}
    assert await world.broker("GET", "/api/users/names", expect=200) == {"names": {}, "providers": {}}
    too_many = ",".join(f"usr_{n:011x}" for n in range(51))
    bad = await world.broker.raw("GET", f"/api/users/names?ids={too_many}")
    assert bad.status_code == 422 and bad.json()["error"]["fields"]["ids"]
    assert (await world.broker.raw("GET", "/api/users/names?ids=<script>")).status_code == 422
    assert (await alpha.raw("GET", f"/api/users/names?ids={me['id']}")).status_code == 403


async def test_broker_messages_carry_the_actor(world: World) -> None:
    package = await world.post(reference="HCC-ACT-1")
    alpha = world.users["Alpha Care"]
    await alpha("POST", f"/api/packages/{package['id']}/offers", {"hourly_rate": 22, "start_date": tomorrow(), "can_meet_needs": True}, expect=201)
    recent = await world.broker("GET", "/api/events/recent?limit=100", expect=200)
    actors = {e["type"]: e.get("actor") for e in recent["events"] if e["data"].get("package_id", (e["data"].get("package") or {}).get("id")) == package["id"]}
    assert actors["package.posted"] == world.broker.user["id"]
    assert actors["offer.submitted"] == alpha.user["id"]
