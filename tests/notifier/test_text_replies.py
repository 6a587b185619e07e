"""Answering by text: alert SMS carry a reply code; a signed inbound `NO <code> <reason>`
declines for the sender's provider, `MORE` asks for more time; anything else changes nothing
and is answered with what is understood."""

from __future__ import annotations

import asyncio
import re
import time
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

from tests.conftest import World
from tests.notifier.standins import Sms, TwilioStandIn

PUBLIC_URL = "https://brokerage.example.test"
INBOUND = "/hooks/twilio/inbound"
ALPHA_PHONE, BETA_PHONE, STRANGER = "+447700900111", "+447700900222", "+447700900999"


async def sms_to(twilio: TwilioStandIn, number: str, count: int, timeout: float = 30.0) -> list[Sms]:
    deadline = time.monotonic() + timeout
    while len(twilio.to(number)) < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{count} SMS to {number} not seen; got {[s.body for s in twilio.to(number)]}")
        await asyncio.sleep(0.1)
    return twilio.to(number)


_sids = iter(range(1, 10_000))


async def inbound(world: World, twilio: TwilioStandIn, sender: str, body: str, *, token: str | None = None, sid: str | None = None) -> int:
    params = {"From": sender, "To": "+447700900000", "Body": body, "MessageSid": sid or f"SM{next(_sids):032x}", "AccountSid": twilio.account_sid}
    signature = RequestValidator(token or twilio.auth_token).compute_signature(PUBLIC_URL + INBOUND, params)
    response = await world.broker.raw("POST", INBOUND, content=urlencode(params),
                                      headers={"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature})
    return response.status_code


async def history_types(world: World, package_id: str) -> list[str]:
    return [e["type"] for e in await world.broker("GET", f"/api/packages/{package_id}/history", expect=200)]


async def test_decline_and_more_time_by_text(notify_world: World, twilio: TwilioStandIn) -> None:
    world = notify_world
    texts = {"red": ["ws", "sms"], "amber": ["ws"], "green": ["ws"]}
    await world.users["Alpha Care"]("PUT", "/api/me/preferences", {"phone": ALPHA_PHONE, "channels": texts}, expect=200)
    await world.users["Beta Homecare"]("PUT", "/api/me/preferences", {"phone": BETA_PHONE, "channels": texts}, expect=200)
    package = await world.post(urgency="red")
    pid = package["id"]
    alert = (await sms_to(twilio, ALPHA_PHONE, 1))[0].body
    found = re.search(r"Reply NO (\w+) <reason> to decline, MORE \1 <reason> for more time", alert)
    assert found, alert
    code = found.group(1)
    assert "SG1 1AA" not in alert and "HCC-0001" not in alert

    # A forged signature is refused and changes nothing.
    assert await inbound(world, twilio, ALPHA_PHONE, f"NO {code} forged", token="not-the-token") == 403
    assert "package.declined" not in await history_types(world, pid)

    assert await inbound(world, twilio, ALPHA_PHONE, f"no {code.lower()} No carers free on that round", sid="SM" + "a" * 32) == 200
    # Twilio retrying the same message (same MessageSid) changes nothing more and sends nothing more.
    assert await inbound(world, twilio, ALPHA_PHONE, f"no {code.lower()} No carers free on that round", sid="SM" + "a" * 32) == 200
    history = await world.broker("GET", f"/api/packages/{pid}/history", expect=200)
    declined = [e for e in history if e["type"] == "package.declined"]
    assert [(e["data"]["provider_id"], e["data"]["reason"]) for e in declined] == [
        (world.providers["Alpha Care"]["id"], "No carers free on that round")]
    confirmations = await sms_to(twilio, ALPHA_PHONE, 2)
    assert "declined" in confirmations[-1].body and code in confirmations[-1].body

    assert await inbound(world, twilio, BETA_PHONE, f"MORE {code} Our coordinator is back at 2pm") == 200
    asks = await world.broker("GET", f"/api/packages/{pid}/more-time", expect=200)
    assert [(a["provider_id"], a["reason"]) for a in asks] == [(world.providers["Beta Homecare"]["id"], "Our coordinator is back at 2pm")]
    beta_texts = await sms_to(twilio, BETA_PHONE, 2)
    assert "more time" in beta_texts[-1].body

    before = await history_types(world, pid)
    # An unknown number, an unknown word and an unknown code: a short SMS each, no change.
    assert await inbound(world, twilio, STRANGER, f"NO {code} not ours") == 200
    assert "not registered" in (await sms_to(twilio, STRANGER, 1))[0].body
    assert await inbound(world, twilio, ALPHA_PHONE, f"YES {code} please") == 200
    assert "Reply NO <code> <reason>" in (await sms_to(twilio, ALPHA_PHONE, 3))[-1].body
    assert await inbound(world, twilio, ALPHA_PHONE, "NO ZZZZZZ because") == 200
    assert "ZZZZZZ" in (await sms_to(twilio, ALPHA_PHONE, 4))[-1].body
    after = await history_types(world, pid)
    # Notification receipts may land meanwhile; no decision event did.
    decisions = ("package.declined", "deadline.extension_requested", "offer.submitted")
    assert [t for t in after if t in decisions] == [t for t in before if t in decisions]


async def test_questions_and_variations_are_emailed_to_the_side_that_did_not_act(notify_world: World, smtp_sink) -> None:
    world = notify_world
    await world.add_provider("Hereford Care", coverage=[{"kind": "districts", "codes": ["HR1"]}], tiers={})
    package = await world.post()
    pid = package["id"]
    asked = await world.users["Beta Homecare"]("POST", f"/api/packages/{pid}/questions", {"text": "Is there parking?"}, expect=201)
    await world.broker("POST", f"/api/packages/{pid}/questions/{asked['id']}/answer", {"text": "Yes, on the drive.", "publish": True}, expect=200)

    async def emails(event: str, count: int) -> list[dict]:
        deadline = time.monotonic() + 30
        while True:
            notes = [n for n in await world.broker("GET", f"/api/notifications?package_id={pid}", expect=200)
                     if n["event"] == event and n["channel"] == "email" and n["status"] in ("sent", "delivered")]
            if len(notes) >= count:
                return notes
            if time.monotonic() > deadline:
                raise TimeoutError(f"{count} {event} emails not sent; got {notes}")
            await asyncio.sleep(0.2)

    told = {n["user_id"] for n in await emails("question.answered", 3)}
    matched_users = {world.users[name].user["id"] for name in ("Alpha Care", "Beta Homecare", "Gamma Support")}
    assert told == matched_users  # Hereford (unmatched) is in no record
    assert {n["user_id"] for n in await emails("question.asked", 1)} == {world.broker.user["id"]}
    for mail in smtp_sink.all():
        assert "SG1 1AA" not in mail.part("plain") and "HCC-0001" not in mail.part("plain")

    offer = await world.users["Alpha Care"]("POST", f"/api/packages/{pid}/offers", {"hourly_rate": 22, "start_date": package["start_date"], "can_meet_needs": True}, expect=201)
    await world.broker("POST", f"/api/packages/{pid}/award", {"offer_id": offer["id"]}, expect=200)
    made = await world.users["Alpha Care"]("POST", f"/api/packages/{pid}/variations", {"reason": "flex", "hours_per_week": 11, "effective_from": "2030-01-06"}, expect=201)
    # The provider proposed it: its proposal is not mailed back to it; brokers hear of it.
    proposed = await emails("variation.proposed", 1)
    assert {n["user_id"] for n in proposed} == {world.broker.user["id"]}
    # The broker accepted it: the provider hears.
    await world.broker("POST", f"/api/packages/{pid}/variations/{made['id']}/accept", expect=200)
    assert {n["user_id"] for n in await emails("variation.accepted", 1)} == {world.users["Alpha Care"].user["id"]}
