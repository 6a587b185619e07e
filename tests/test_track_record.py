"""A provider's track record (matcher.TrackRecord): its latest matches newest first, each with
the price it offered and the outcome, from a history made through the API; and its response
rate (Reports.response_rate), which must be exactly the broker reports' figure."""

from __future__ import annotations

import redis.asyncio as aioredis

from matcher import Range, Reports, TrackRecord
from tests.conftest import World, tomorrow


async def known_history(world: World) -> dict[str, str]:
    """Six packages sent to Alpha Care (and Beta Homecare, SG1), each ending differently for
    Alpha; posted oldest first, HCC-T1 … HCC-T6."""
    alpha, beta = world.users["Alpha Care"], world.users["Beta Homecare"]

    async def offer(user, package_id: str, rate: float) -> dict:  # type: ignore[no-untyped-def]
        return await user("POST", f"/api/packages/{package_id}/offers", {"hourly_rate": rate, "start_date": tomorrow(), "can_meet_needs": True}, expect=201)

    ids = {}
    for n in range(1, 7):
        ids[f"HCC-T{n}"] = (await world.post(reference=f"HCC-T{n}"))["id"]
    won = await offer(alpha, ids["HCC-T1"], 22.5)
    await world.broker("POST", f"/api/packages/{ids['HCC-T1']}/award", {"offer_id": won["id"]}, expect=200)
    await alpha("POST", f"/api/packages/{ids['HCC-T2']}/decline", {"reason": "No carers free"}, expect=200)
    await offer(alpha, ids["HCC-T3"], 24)
    cheaper = await offer(beta, ids["HCC-T3"], 21)
    await world.broker("POST", f"/api/packages/{ids['HCC-T3']}/award", {"offer_id": cheaper["id"]}, expect=200)
    taken_back = await offer(alpha, ids["HCC-T4"], 23)
    await alpha("DELETE", f"/api/packages/{ids['HCC-T4']}/offers/{taken_back['id']}", expect=200)
    await world.broker("POST", f"/api/packages/{ids['HCC-T6']}/withdraw", {"reason": "Family arranged care"}, expect=200)
    return ids


EXPECTED = [  # newest first: (reference, outcome, price offered)
    ("HCC-T6", "no_response", None), ("HCC-T5", "waiting", None), ("HCC-T4", "offer_withdrawn", 23.0),
    ("HCC-T3", "not_chosen", 24.0), ("HCC-T2", "declined", None), ("HCC-T1", "awarded", 22.5),
]


async def test_track_record_and_response_rate_of_a_known_history(world: World) -> None:
    await known_history(world)
    alpha = world.providers["Alpha Care"]["id"]
    r = aioredis.Redis.from_url(world.service.redis_url, decode_responses=True)
    try:
        record = await TrackRecord(r).recent(alpha, 20)
        assert [(d.reference, d.outcome, d.hourly_rate) for d in record] == EXPECTED
        assert [d.package_status for d in record] == ["withdrawn", "live", "live", "awarded", "live", "awarded"]
        assert all(d.postcode == "SG1 1AA" for d in record)
        assert [d.reference for d in await TrackRecord(r).recent(alpha, 2)] == ["HCC-T6", "HCC-T5"]
        # Responded to T1-T4 (a withdrawn offer still counts) of six: the reports' own figure.
        span = Range.last_days(90)
        rate = await Reports(r).response_rate(alpha, span)
        assert rate == 66.7
        figures = await Reports(r).response_figures(alpha, span)
        assert (figures["counted"], figures["responded"], figures["waiting"]) == (6, 4, 1)  # T5 is still open
        assert rate == (await Reports(r).summary(span))["provider_response_rate"][alpha]
        gamma = world.providers["Gamma Support"]["id"]
        assert await Reports(r).response_rate(gamma, span) == (await Reports(r).summary(span))["provider_response_rate"][gamma] == 0.0
        assert await Reports(r).response_rate("prv_nobody", span) is None
        assert await TrackRecord(r).recent("prv_nobody") == []
    finally:
        await r.aclose()
