"""Declining: the reason is kept, it counts as a response, and it never costs the decliner
its place: the next package matches it, in the same order, with the same flag."""

from __future__ import annotations

import redis

from config import keys
from tests.conftest import World
from tests.test_availability import matched_order, slot


def responses(world: World, package_id: str) -> dict[str, str]:
    with redis.Redis.from_url(world.service.redis_url, decode_responses=True) as r:
        return r.hgetall(keys.package_responses(package_id))


async def test_a_decliner_is_matched_and_ordered_the_same_next_time(world: World) -> None:
    ids = {name: p["id"] for name, p in world.providers.items()}
    # Beta leads on rating; Gamma leads everyone once its availability fits.
    await world.users["Gamma Support"]("POST", "/api/availability", slot(), expect=201)
    first = await world.post()
    before = await matched_order(world, first["id"])
    assert [pid for pid, _ in before] == [ids["Gamma Support"], ids["Beta Homecare"], ids["Alpha Care"]]
    for name in ("Gamma Support", "Beta Homecare"):
        await world.users[name]("POST", f"/api/packages/{first['id']}/decline", {"reason": f"{name}: no carers on that round"}, expect=200)

    second = await world.post()
    assert second["matched"] == 3
    assert await matched_order(world, second["id"]) == before
    listed = await world.broker("GET", f"/api/packages/{second['id']}/matches", expect=200)
    assert [m["provider_id"] for m in listed] == [pid for pid, _ in before]
    # The reason travels in the audit trail; the response is recorded for rates and reminders.
    trail = await world.broker("GET", f"/api/packages/{first['id']}/history", expect=200)
    reasons = {e["data"]["provider_id"]: e["data"]["reason"] for e in trail if e["type"] == "package.declined"}
    assert reasons == {ids["Gamma Support"]: "Gamma Support: no carers on that round",
                       ids["Beta Homecare"]: "Beta Homecare: no carers on that round"}
    assert responses(world, first["id"]) == {ids["Gamma Support"]: "declined", ids["Beta Homecare"]: "declined"}
    report = await world.broker("GET", "/api/reports/summary", expect=200)
    assert report["provider_response_rate"] == {ids["Gamma Support"]: 50.0, ids["Beta Homecare"]: 50.0, ids["Alpha Care"]: 0.0}


async def test_responses_follow_offers_withdrawals_and_declines(world: World) -> None:
    package = await world.post()
    pid = package["id"]
    alpha, alpha_id = world.users["Alpha Care"], world.providers["Alpha Care"]["id"]
    made = await alpha("POST", f"/api/packages/{pid}/offers", {"hourly_rate": 23, "start_date": package["start_date"], "can_meet_needs": True}, expect=201)
    assert responses(world, pid) == {alpha_id: "offered"}
    await alpha("DELETE", f"/api/packages/{pid}/offers/{made['id']}", expect=200)
    assert responses(world, pid) == {}  # silent again: a reminder may chase it
    await alpha("POST", f"/api/packages/{pid}/decline", {"reason": "the round is full after all"}, expect=200)
    assert responses(world, pid) == {alpha_id: "declined"}
