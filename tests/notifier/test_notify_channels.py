"""Email and SMS through the real pipeline: default channels per urgency, preferences,
content, privacy, outcomes and reminders (SMTP: aiosmtpd; SMS: the Twilio stand-in)."""

from __future__ import annotations

from config import keys
from tests.conftest import World
from tests.notifier.conftest import email_of, eventually, notifications, settled
from tests.notifier.standins import SmtpSink, TwilioStandIn
from tests.waits import EventLogReader

PHONES = {"Alpha Care": "+447700900101", "Beta Homecare": "+447700900102", "Gamma Support": "+447700900103"}


async def give_phones(world: World) -> None:
    for name, phone in PHONES.items():
        await world.users[name]("PUT", "/api/me/preferences", {"phone": phone}, expect=200)


async def test_red_goes_by_email_and_sms_to_every_matched_user_once(notify_world: World, smtp_sink: SmtpSink, twilio: TwilioStandIn) -> None:
    await give_phones(notify_world)
    package = await notify_world.post(urgency="red")
    notes = await settled(notify_world, package["id"], 6)
    assert sorted((n["channel"], n["status"]) for n in notes) == [("email", "sent")] * 3 + [("sms", "sent")] * 3
    assert all(n["event"] == "package.matched" and n["attempts"] == 1 for n in notes)
    for name, phone in PHONES.items():
        mails = smtp_sink.to(email_of(notify_world.users[name]))
        assert len(mails) == 1
        mail = mails[0]
        assert "RED – respond within" in mail.part("plain") and "RED – respond within" in mail.part("html")
        assert f"https://brokerage.example.test/provider/packages/{package['id']}" in mail.part("plain")
        assert "(UK time)" in mail.part("plain") and ("GMT" in mail.part("plain") or "BST" in mail.part("plain"))
        texts = twilio.to(phone)
        assert len(texts) == 1
        text = texts[0].body
        assert len(text) <= 306 and text.isascii()
        assert f"https://brokerage.example.test/p/{package['id']}" in text
        assert "SG1 1AA" not in text and "SG1 1AA" not in mail.part("plain")  # never the full postcode
        assert "Testcase" not in text and "Testcase" not in mail.part("plain")
        assert (texts[0].status_callback or "").startswith("https://brokerage.example.test/hooks/twilio/status?n=ntf_")
    history = await notify_world.broker("GET", f"/api/packages/{package['id']}/history", expect=200)
    sent = [e for e in history if e["type"] == "notification.sent"]
    assert len(sent) == 6 and all("@" not in str(e["data"]) and "+44" not in str(e["data"]) for e in sent)


async def test_amber_defaults_to_email_only_and_preferences_change_channels(notify_world: World, smtp_sink: SmtpSink, twilio: TwilioStandIn) -> None:
    await give_phones(notify_world)
    alpha = notify_world.users["Alpha Care"]
    await alpha("PUT", "/api/me/preferences", {"channels": {"amber": ["ws", "sms"]}, "email": "rota@alpha.test"}, expect=200)
    beta = notify_world.users["Beta Homecare"]
    await beta("PUT", "/api/me/preferences", {"channels": {"amber": ["ws"]}}, expect=200)
    package = await notify_world.post(urgency="amber")
    notes = await settled(notify_world, package["id"], 2)
    by_user = sorted((n["user_id"], n["channel"]) for n in notes)
    assert by_user == sorted([(alpha.user["id"], "sms"), (notify_world.users["Gamma Support"].user["id"], "email")])
    assert len(twilio.to(PHONES["Alpha Care"])) == 1 and smtp_sink.to(email_of(alpha)) == []
    assert twilio.to(PHONES["Gamma Support"]) == [] and len(smtp_sink.to(email_of(notify_world.users["Gamma Support"]))) == 1
    assert smtp_sink.to(email_of(beta)) == [] and twilio.to(PHONES["Beta Homecare"]) == []
    # The email override is used where the user wants email.
    await alpha("PUT", "/api/me/preferences", {"channels": {"green": ["email"]}}, expect=200)
    green = await notify_world.post(urgency="green")
    notes = await settled(notify_world, green["id"], 3)
    assert sorted((n["user_id"], n["channel"]) for n in notes if n["event"] == "package.matched") == sorted(
        (api.user["id"], "email") for api in notify_world.users.values())
    assert len(smtp_sink.to("rota@alpha.test")) == 1


async def test_every_outcome_reaches_each_provider(notify_world: World, smtp_sink: SmtpSink) -> None:
    package = await notify_world.post(urgency="amber")
    body = {"hourly_rate": 22, "start_date": package["start_date"], "can_meet_needs": True}
    made = await notify_world.users["Alpha Care"]("POST", f"/api/packages/{package['id']}/offers", body, expect=201)
    await notify_world.users["Beta Homecare"]("POST", f"/api/packages/{package['id']}/offers", {**body, "hourly_rate": 25}, expect=201)
    await notify_world.broker("POST", f"/api/packages/{package['id']}/award", {"offer_id": made["id"]}, expect=200)
    notes = await settled(notify_world, package["id"], 6)
    events = {(n["user_id"], n["event"]) for n in notes if n["channel"] == "email"}
    users = {name: api.user["id"] for name, api in notify_world.users.items()}
    assert (users["Alpha Care"], "offer.accepted") in events
    assert (users["Beta Homecare"], "offer.declined") in events
    assert (users["Gamma Support"], "package.closed") in events
    subjects = [m.subject for m in smtp_sink.to(email_of(notify_world.users["Beta Homecare"]))]
    assert any("not accepted" in s for s in subjects)


async def test_silent_providers_are_reminded_once_per_window(notify_world: World, smtp_sink: SmtpSink) -> None:
    # DEADLINE_GREEN_S=8, REMINDER_AT=0.75: the reminder fires at 6 s, the window ends at 8 s.
    package = await notify_world.post(urgency="green")
    body = {"hourly_rate": 22, "start_date": package["start_date"], "can_meet_needs": True}
    await notify_world.users["Alpha Care"]("POST", f"/api/packages/{package['id']}/offers", body, expect=201)
    await notify_world.users["Beta Homecare"]("POST", f"/api/packages/{package['id']}/decline", {"reason": "no staff"}, expect=200)

    async def reminded() -> list[dict]:
        history = await notify_world.broker("GET", f"/api/packages/{package['id']}/history", expect=200)
        return [e for e in history if e["type"] == "deadline.reminder"]

    events = await eventually(reminded, timeout=30)
    assert len(events) == 1
    assert events[0]["data"]["wave"] == 1 and events[0]["data"]["deadline"] == package["deadline"]
    gamma = email_of(notify_world.users["Gamma Support"])

    async def reminder_mail() -> bool:
        return any("Reminder" in m.subject for m in smtp_sink.to(gamma))

    await eventually(reminder_mail, "Gamma's reminder email", timeout=30)
    async with EventLogReader(notify_world.service.redis_url) as log:
        # Once per window: the reminder job has finished, and the window has ended (an offer
        # is in, so it awaits award), so no later run of the job can remind again.
        assert await log.job_finished(keys.reminder_job_id(package["id"], 1)) == 1
        await log.wait_for_event("package.awaiting_award", package["id"])
    assert len(await reminded()) == 1
    reminders = [n for n in await notifications(notify_world, package["id"]) if n["event"] == "deadline.reminder"]
    assert {n["user_id"] for n in reminders} == {notify_world.users["Gamma Support"].user["id"]}


async def test_brokers_are_alerted_by_email_when_a_package_goes_unplaced(notify_world: World, smtp_sink: SmtpSink) -> None:
    w = notify_world
    # Nobody covers HR1: the green window (8 s here) ends with no offers.
    package = await w.post(urgency="green", postcode="HR1 2AA")
    assert package["matched"] == 0

    async def alert() -> list:
        return [m for m in smtp_sink.all() if "UNPLACED" in m.subject]

    found = await eventually(alert, timeout=40)
    assert len(found) == 1
    notes = await settled(w, package["id"], 1)
    assert [(n["user_id"], n["event"], n["channel"], n["status"]) for n in notes] == [
        (w.broker.user["id"], "package.unplaced", "email", "sent")]
    message = found[0]
    assert message.to == ["broker@council.test"]  # brokers, not the admin or providers
    body = message.part("plain")
    assert f"/broker/packages/{package['id']}" in body
    assert "HR1 2AA" not in body and "Testcase" not in body
