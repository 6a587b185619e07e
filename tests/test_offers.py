"""Offers: sealed, capped, one per provider; declines; score order; the award race."""

from __future__ import annotations

import asyncio

from tests.conftest import Api, World
from tests.support import Service


def offer(rate: float, start: str = "2030-01-01", **extra) -> dict:
    return {"hourly_rate": rate, "start_date": start, "can_meet_needs": True, **extra}


async def test_rate_caps_and_offer_validation(world: World) -> None:
    package = await world.post()
    alpha = world.users["Alpha Care"]
    path = f"/api/packages/{package['id']}/offers"
    for body, field in [
        (offer(17.99), "hourly_rate"), (offer(32.01), "hourly_rate"), (offer("20"), "hourly_rate"),
        ({"start_date": "2030-01-01", "can_meet_needs": True}, "hourly_rate"),
        (offer(20, start="next week"), "start_date"), (offer(20, start="2030-02-30"), "start_date"),
        ({"hourly_rate": 20, "start_date": "2030-01-01", "can_meet_needs": False}, "can_meet_needs"),
    ]:
        response = await alpha.raw("POST", path, json=body)
        assert response.status_code == 422, (body, response.text)
        assert field in response.json()["error"]["fields"], body
    await alpha("POST", path, offer(18.00), expect=201)  # both caps are inclusive
    await world.users["Beta Homecare"]("POST", path, offer(32.00), expect=201)


async def test_offers_are_sealed_one_per_provider(world: World) -> None:
    package = await world.post()
    alpha, beta = world.users["Alpha Care"], world.users["Beta Homecare"]
    path = f"/api/packages/{package['id']}/offers"
    first = await alpha("POST", path, offer(25), expect=201)
    assert first["status"] == "submitted"
    second = await alpha.raw("POST", path, json=offer(19))
    assert second.status_code == 409 and second.json()["error"]["code"] == "offer_exists"
    await beta("POST", path, offer(21), expect=201)
    # each provider sees only its own offer: no price of another's ever reaches it
    mine = await alpha("GET", path, expect=200)
    assert [o["id"] for o in mine] == [first["id"]]
    assert all(o["provider_id"] == world.providers["Alpha Care"]["id"] for o in mine)
    # withdraw, then a new offer is allowed
    withdrawn = await alpha("DELETE", f"{path}/{first['id']}", expect=200)
    assert withdrawn["status"] == "withdrawn"
    again = await alpha.raw("DELETE", f"{path}/{first['id']}")
    assert again.status_code == 409
    not_mine = await beta.raw("DELETE", f"{path}/{first['id']}")
    assert not_mine.status_code == 404
    await alpha("POST", path, offer(24), expect=201)


async def test_unmatched_provider_gets_404(world: World) -> None:
    await world.add_provider("Hereford Care", coverage=[{"kind": "districts", "codes": ["HR1"]}], tiers={})
    package = await world.post()
    response = await world.users["Hereford Care"].raw("POST", f"/api/packages/{package['id']}/offers", json=offer(20))
    assert response.status_code == 404
    missing = await world.users["Alpha Care"].raw("POST", "/api/packages/pkg_nope/offers", json=offer(20))
    assert missing.status_code == 404


async def test_broker_sees_offers_best_first_with_score_parts(world: World) -> None:
    package = await world.post()
    path = f"/api/packages/{package['id']}/offers"
    await world.users["Alpha Care"]("POST", path, offer(18), expect=201)          # good: 0.6*75 + 0.4*100 = 85
    await world.users["Beta Homecare"]("POST", path, offer(25), expect=201)       # outstanding: 60 + 0.4*50 = 80
    await world.users["Gamma Support"]("POST", path, offer(18), expect=201)       # requires improvement: 24 + 40 = 64
    ranked = await world.broker("GET", path, expect=200)
    assert [o["provider_id"] for o in ranked] == [world.providers[n]["id"] for n in ("Alpha Care", "Beta Homecare", "Gamma Support")]
    assert [o["score"] for o in ranked] == [85.0, 80.0, 64.0]
    assert ranked[1]["score_parts"] == {"quality": 100.0, "price": 50.0}


async def test_decline_with_reason_and_no_decline_while_offering(world: World) -> None:
    package = await world.post()
    beta = world.users["Beta Homecare"]
    result = await beta("POST", f"/api/packages/{package['id']}/decline", {"reason": "no carers on that round"}, expect=200)
    assert result["status"] == "declined"
    missing_reason = await beta.raw("POST", f"/api/packages/{package['id']}/decline", json={})
    assert missing_reason.status_code == 422 and "reason" in missing_reason.json()["error"]["fields"]
    alpha = world.users["Alpha Care"]
    await alpha("POST", f"/api/packages/{package['id']}/offers", offer(22), expect=201)
    conflict = await alpha.raw("POST", f"/api/packages/{package['id']}/decline", json={"reason": "changed mind"})
    assert conflict.status_code == 409
    # declining never removes the package from the decliner's later matches
    later = await world.post()
    assert later["matched"] == 3


async def test_award_accepts_one_and_declines_the_rest(world: World) -> None:
    package = await world.post()
    path = f"/api/packages/{package['id']}/offers"
    a = await world.users["Alpha Care"]("POST", path, offer(20), expect=201)
    b = await world.users["Beta Homecare"]("POST", path, offer(21), expect=201)
    awarded = await world.broker("POST", f"/api/packages/{package['id']}/award", {"offer_id": b["id"]}, expect=200)
    assert awarded["status"] == "awarded"
    statuses = {o["id"]: o["status"] for o in await world.broker("GET", path, expect=200)}
    assert statuses == {a["id"]: "declined", b["id"]: "accepted"}
    again = await world.broker.raw("POST", f"/api/packages/{package['id']}/award", json={"offer_id": a["id"]})
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_awarded"
    provider_award = await world.users["Alpha Care"].raw("POST", f"/api/packages/{package['id']}/award", json={"offer_id": a["id"]})
    assert provider_award.status_code == 403


async def test_award_race_across_two_processes_has_one_winner(world: World, two_webs: Service) -> None:
    package = await world.post()
    path = f"/api/packages/{package['id']}/offers"
    offers = [await world.users[n]("POST", path, offer(20 + i), expect=201) for i, n in enumerate(["Alpha Care", "Beta Homecare", "Gamma Support"])]
    brokers = [Api(two_webs.url(n % 2), world.broker.token) for n in range(12)]
    try:
        responses = await asyncio.gather(*[
            b.raw("POST", f"/api/packages/{package['id']}/award", json={"offer_id": offers[n % 3]["id"]})
            for n, b in enumerate(brokers)
        ])
    finally:
        for b in brokers:
            await b.aclose()
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] + [409] * 11, codes
    assert [r.json()["error"]["code"] for r in responses if r.status_code == 409] == ["already_awarded"] * 11
    final = await world.broker("GET", path, expect=200)
    assert sorted(o["status"] for o in final) == ["accepted", "declined", "declined"]
    history = await world.broker("GET", f"/api/packages/{package['id']}/history", expect=200)
    assert [e["type"] for e in history].count("package.awarded") == 1


async def test_offer_and_withdrawal_racing(world: World) -> None:
    """An offer racing a withdrawal either lands before it (and is declined) or is refused."""
    package = await world.post()
    alpha = world.users["Alpha Care"]
    made, withdrawn = await asyncio.gather(
        alpha.raw("POST", f"/api/packages/{package['id']}/offers", json=offer(22)),
        world.broker.raw("POST", f"/api/packages/{package['id']}/withdraw", json={"reason": "no longer needed"}),
    )
    assert withdrawn.status_code == 200
    offers = await world.broker("GET", f"/api/packages/{package['id']}/offers", expect=200)
    if made.status_code == 201:
        assert [o["status"] for o in offers] == ["declined"]
    else:
        assert made.status_code == 409 and offers == []
