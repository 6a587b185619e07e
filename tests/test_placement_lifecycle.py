"""One placement from posting to the second purchase order, as the audit trail reads it."""

from __future__ import annotations

from tests.conftest import World

DECISIONS = ("package.posted", "package.matched", "question.asked", "question.answered", "offer.submitted",
             "package.awarded", "offer.accepted", "offer.declined", "package.closed", "purchase_order.issued",
             "variation.proposed", "variation.accepted")


async def test_post_question_offer_award_po_variation_po2(world: World) -> None:
    package = await world.post(hours_per_week=2.25,
                               visits=[{"days": ["mon", "wed", "fri"], "band": "morning", "minutes": 45, "carers": 1, "time_critical": False}])
    pid = package["id"]
    alpha, beta = world.users["Alpha Care"], world.users["Beta Homecare"]
    question = await beta("POST", f"/api/packages/{pid}/questions", {"text": "Is there parking?"}, expect=201)
    await world.broker("POST", f"/api/packages/{pid}/questions/{question['id']}/answer", {"text": "Yes, on the drive.", "publish": True}, expect=200)
    offer = await alpha("POST", f"/api/packages/{pid}/offers", {"hourly_rate": 22.5, "start_date": package["start_date"], "can_meet_needs": True}, expect=201)
    await beta("POST", f"/api/packages/{pid}/offers", {"hourly_rate": 25, "start_date": package["start_date"], "can_meet_needs": True}, expect=201)
    await world.broker("POST", f"/api/packages/{pid}/award", {"offer_id": offer["id"]}, expect=200)
    first = await alpha("GET", f"/api/packages/{pid}/purchase-order", expect=200)
    variation = await world.broker("POST", f"/api/packages/{pid}/variations", {
        "reason": "Review: add a bed call", "effective_from": "2030-01-06", "visits": [
            {"days": ["mon", "wed", "fri"], "band": "morning", "minutes": 45, "carers": 1, "time_critical": False},
            {"days": ["mon", "wed", "fri"], "band": "bed", "minutes": 30, "carers": 1, "time_critical": False}]}, expect=201)
    await alpha("POST", f"/api/packages/{pid}/variations/{variation['id']}/accept", expect=200)
    second = await alpha("GET", f"/api/packages/{pid}/purchase-order", expect=200)
    assert (first["version"], first["weekly_cost"]) == (1, 54.0)  # 3 x 80 % of 22.50
    assert (second["number"], second["version"], second["weekly_cost"]) == (first["number"], 2, 54.0 + 3 * 13.5)

    history = await world.broker("GET", f"/api/packages/{pid}/history", expect=200)
    trail = [e for e in history if e["type"] in DECISIONS]
    assert [e["type"] for e in trail] == [
        "package.posted", "package.matched", "package.matched", "package.matched", "question.asked", "question.answered",
        "offer.submitted", "offer.submitted", "package.awarded", "offer.accepted", "offer.declined", "package.closed",
        "purchase_order.issued", "variation.proposed", "variation.accepted", "purchase_order.issued",
    ]
    issued = [e["data"] for e in trail if e["type"] == "purchase_order.issued"]
    assert [(d["version"], d["weekly_cost"]) for d in issued] == [(1, 54.0), (2, 94.5)]
    for event in trail:  # what the report quotes
        brief = {k: v for k, v in event["data"].items() if k in ("question_id", "text", "answer", "published", "hourly_rate",
                                                                 "number", "version", "weekly_cost", "reason", "auto")}
        print(event["at"], event["actor"], event["type"], brief)
