"""Delivery under failure: SMTP down then up, Twilio 500s, 429 with Retry-After; delivery
receipts (signed, unsigned, out of order); quiet hours held end to end; the broker's list."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from arq.jobs import JobStatus
from twilio.request_validator import RequestValidator

from config import keys

from tests.conftest import World
from tests.notifier.conftest import email_of, eventually, notifications, settled
from tests.notifier.standins import SmtpSink, TwilioStandIn
from tests.waits import EventLogReader

PUBLIC = "https://brokerage.example.test"


async def only_alpha(world: World, channels: list[str], phone: str | None = None) -> None:
    """Silence Beta and Gamma so each test watches one user's messages."""
    for name in ("Beta Homecare", "Gamma Support"):
        await world.users[name]("PUT", "/api/me/preferences", {"channels": {"red": ["ws"], "amber": ["ws"], "green": ["ws"]}}, expect=200)
    prefs: dict = {"channels": {"red": ["ws", *channels], "amber": ["ws", *channels]}}
    if phone:
        prefs["phone"] = phone
    await world.users["Alpha Care"]("PUT", "/api/me/preferences", prefs, expect=200)


async def test_smtp_down_then_up_delivers_once(notify_world: World, smtp_sink: SmtpSink) -> None:
    await only_alpha(notify_world, ["email"])
    smtp_sink.stop()
    try:
        package = await notify_world.post(urgency="red")

        async def retried() -> bool:
            notes = await notifications(notify_world, package["id"])
            return bool(notes) and notes[0]["attempts"] >= 2 and notes[0]["status"] == "queued"

        assert await eventually(retried, timeout=30)
    finally:
        smtp_sink.start()
    notes = await settled(notify_world, package["id"], 1)
    assert notes[0]["status"] == "sent" and notes[0]["attempts"] >= 2
    mails = smtp_sink.to(email_of(notify_world.users["Alpha Care"]))
    assert len(mails) == 1 and mails[0].message_id == f"<{notes[0]['id']}@council.test>"


async def test_twilio_500_twice_then_201_sends_one_sms(notify_world: World, twilio: TwilioStandIn) -> None:
    await only_alpha(notify_world, ["sms"], phone="+447700900201")
    twilio.fail_next((500, {}), (500, {}))
    package = await notify_world.post(urgency="red")
    notes = await settled(notify_world, package["id"], 1)
    assert [(n["status"], n["attempts"]) for n in notes] == [("sent", 3)]
    assert len(twilio.to("+447700900201")) == 1
    assert notes[0]["provider_message_id"] == twilio.to("+447700900201")[0].sid


async def test_429_retry_after_is_honoured(notify_world: World, twilio: TwilioStandIn) -> None:
    await only_alpha(notify_world, ["sms"], phone="+447700900202")
    twilio.fail_next((429, {"Retry-After": "3"}))
    package = await notify_world.post(urgency="red")
    notes = await settled(notify_world, package["id"], 1)
    assert [(n["status"], n["attempts"]) for n in notes] == [("sent", 2)]
    posts = [at for method, at in twilio.requests if method == "POST"]
    assert len(posts) == 2 and posts[1] - posts[0] >= 2.5  # not before the server allowed
    assert len(twilio.to("+447700900202")) == 1


async def test_receipts_need_a_valid_signature_and_never_go_back(notify_world: World, twilio: TwilioStandIn) -> None:
    await only_alpha(notify_world, ["sms"], phone="+447700900203")
    package = await notify_world.post(urgency="red")
    notes = await settled(notify_world, package["id"], 1)
    note, sms = notes[0], twilio.to("+447700900203")[0]
    path = f"/hooks/twilio/status?n={note['id']}"
    validator = RequestValidator(twilio.auth_token)

    async def post(params: dict[str, str], signature: str | None) -> int:
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if signature is not None:
            headers["X-Twilio-Signature"] = signature
        response = await notify_world.broker.raw("POST", path, content=urlencode(params), headers=headers)
        return response.status_code

    delivered = {"MessageSid": sms.sid, "MessageStatus": "delivered", "To": sms.to}
    assert await post(delivered, None) == 403
    assert await post(delivered, RequestValidator("wrong-token").compute_signature(PUBLIC + path, delivered)) == 403
    assert await post(delivered, validator.compute_signature("http://other.example" + path, delivered)) == 403
    assert (await notifications(notify_world, package["id"]))[0]["status"] == "sent"
    assert await post(delivered, validator.compute_signature(PUBLIC + path, delivered)) == 204
    late = {**delivered, "MessageStatus": "sent"}
    assert await post(late, validator.compute_signature(PUBLIC + path, late)) == 204  # out of order
    failed = {**delivered, "MessageStatus": "failed"}
    assert await post(failed, validator.compute_signature(PUBLIC + path, failed)) == 204
    assert (await notifications(notify_world, package["id"]))[0]["status"] == "delivered"
    history = await notify_world.broker("GET", f"/api/packages/{package['id']}/history", expect=200)
    assert [e["type"] for e in history if e["type"].startswith("notification.")] == ["notification.sent", "notification.delivered"]


async def test_quiet_hours_hold_amber_but_not_red(notify_world: World, smtp_sink: SmtpSink, twilio: TwilioStandIn) -> None:
    await only_alpha(notify_world, ["email", "sms"], phone="+447700900204")
    now = datetime.now(ZoneInfo("Europe/London"))
    quiet = {"start": (now - timedelta(hours=1)).strftime("%H:%M"), "end": (now + timedelta(hours=2)).strftime("%H:%M"), "tz": "Europe/London"}
    await notify_world.users["Alpha Care"]("PUT", "/api/me/preferences", {"quiet_hours": quiet}, expect=200)
    amber = await notify_world.post(urgency="amber")
    red = await notify_world.post(urgency="red")
    red_notes = await settled(notify_world, red["id"], 2)
    assert sorted((n["channel"], n["status"]) for n in red_notes) == [("email", "sent"), ("sms", "sent")]
    held = await settled(notify_world, amber["id"], 2, statuses=("queued",))
    assert sorted(n["channel"] for n in held) == ["email", "sms"]
    assert {n["status"] for n in held} == {"queued"} and {n["attempts"] for n in held} == {0}
    async with EventLogReader(notify_world.service.redis_url) as log:
        # Held, not merely late: each delivery job waits in arq's queue for the quiet hours' end.
        assert {await log.job_status(keys.notify_job_id(n["id"])) for n in held} == {JobStatus.deferred}
    alpha = email_of(notify_world.users["Alpha Care"])
    assert [m.subject.startswith("[RED]") for m in smtp_sink.to(alpha)] == [True]
    assert len(twilio.to("+447700900204")) == 1


async def test_only_brokers_list_notifications(notify_world: World) -> None:
    package = await notify_world.post(urgency="green")
    response = await notify_world.users["Alpha Care"].raw("GET", f"/api/notifications?package_id={package['id']}")
    assert response.status_code == 403
    response = await notify_world.broker.raw("GET", "/api/notifications")
    assert response.status_code == 422
    response = await notify_world.broker.raw("GET", "/api/notifications?package_id=pkg_nope")
    assert response.status_code == 404


async def test_the_list_shows_only_the_contracts_statuses(notify_world: World) -> None:
    """queued|sent|delivered|failed: a message whose attempt is under way ("sending", the
    worker's lease) is listed as still queued."""
    await only_alpha(notify_world, ["email"])
    package = await notify_world.post(urgency="red")
    [note] = await settled(notify_world, package["id"], 1)
    async with EventLogReader(notify_world.service.redis_url) as log:
        await log.redis.hset(keys.notification(note["id"]), "status", "sending")
    [listed] = await notifications(notify_world, package["id"])
    assert (listed["id"], listed["status"]) == (note["id"], "queued")
