"""The contract's configuration defaults, end to end: a service given only SMTP_HOST/PORT and
the Twilio variables (SMTP_STARTTLS and PUBLIC_URL unset, the web process on a port other
than 8000) sends its email to a plain SMTP server, and accepts Twilio's status callbacks
signed over the contract's default PUBLIC_URL, `http://localhost:8000`, which is also the
address the worker gave Twilio."""

from __future__ import annotations

from typing import Iterator
from urllib.parse import urlencode, urlsplit

import pytest
from twilio.request_validator import RequestValidator

from tests.conftest import SERVICE_ENV, World
from tests.notifier.conftest import email_of, notifications, settled, world_on
from tests.notifier.standins import SmtpSink, TwilioStandIn
from tests.support import RedisServer, Service

DEFAULTS_DB = 3
CONTRACT_PUBLIC_URL = "http://localhost:8000"


@pytest.fixture(scope="module")
def defaults_service(redis_server: RedisServer, smtp_sink: SmtpSink, twilio: TwilioStandIn) -> Iterator[Service]:
    env = {**SERVICE_ENV, "DEADLINE_RED_S": "600", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_sink.port), "MAIL_FROM": "brokerage@council.test",
           "TWILIO_ACCOUNT_SID": twilio.account_sid, "TWILIO_AUTH_TOKEN": twilio.auth_token, "TWILIO_FROM": "+447700900000",
           "TWILIO_API_BASE": twilio.base}
    svc = Service(redis_server.url(DEFAULTS_DB), env=env).start()
    assert svc.ports[0] != 8000
    yield svc
    svc.stop()


async def test_unset_starttls_and_public_url_work_as_the_contract_says(
        defaults_service: Service, redis_server: RedisServer, smtp_sink: SmtpSink, twilio: TwilioStandIn) -> None:
    async with world_on(defaults_service, redis_server.url(DEFAULTS_DB), smtp_sink, twilio) as world:
        await _only_alpha(world, phone="+447700900301")
        package = await world.post(urgency="red")
        notes = await settled(world, package["id"], 2)
        # SMTP_STARTTLS unset: the plain loopback SMTP server (no STARTTLS offered) gets the email.
        assert sorted((n["channel"], n["status"]) for n in notes) == [("email", "sent"), ("sms", "sent")]
        assert len(smtp_sink.to(email_of(world.users["Alpha Care"]))) == 1
        # PUBLIC_URL unset: the worker gave Twilio the contract's default address...
        sms = twilio.to("+447700900301")[0]
        assert sms.status_callback is not None
        callback = urlsplit(sms.status_callback)
        assert f"{callback.scheme}://{callback.netloc}" == CONTRACT_PUBLIC_URL
        # ...and the web process (on another port) checks Twilio's signature over that same address.
        path = f"{callback.path}?{callback.query}"
        delivered = {"MessageSid": sms.sid, "MessageStatus": "delivered", "To": sms.to}
        signature = RequestValidator(twilio.auth_token).compute_signature(CONTRACT_PUBLIC_URL + path, delivered)
        response = await world.broker.raw("POST", path, content=urlencode(delivered), headers={
            "Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature})
        assert response.status_code == 204, response.text
        sms_note = next(n for n in await notifications(world, package["id"]) if n["channel"] == "sms")
        assert sms_note["status"] == "delivered"


async def _only_alpha(world: World, phone: str) -> None:
    for name in ("Beta Homecare", "Gamma Support"):
        await world.users[name]("PUT", "/api/me/preferences", {"channels": {"red": ["ws"], "amber": ["ws"], "green": ["ws"]}}, expect=200)
    await world.users["Alpha Care"]("PUT", "/api/me/preferences",
                                    {"phone": phone, "channels": {"red": ["ws", "email", "sms"]}}, expect=200)
