"""Notifications: the broker's list, Twilio's status callback, the dev outbox, short links."""

from __future__ import annotations

import html
from urllib.parse import parse_qsl, quote

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from notifier import INBOUND_PATH, STATUS_PATH, DevOutbox, Outbox, Receipts, ReplyCodes, TextReplies, sms_sender
from web import api
from web.api import BROKER, PUBLIC, Call
from web.errors import HttpError
from web.http import brokerage, ok
from web.inputs import NotificationQuery, OutboxQuery
from web.outputs import NotificationOut


def _outbox(request: Request) -> Outbox:
    service = brokerage(request)
    return Outbox(service.redis, service.events)


async def list_notifications(call: Call) -> Response:
    package_id = call.query.package_id
    await brokerage(call.request).packages.load(package_id)  # 404 for an unknown package
    notes = await _outbox(call.request).for_package(package_id)
    return ok([{k: n.public()[k] for k in ("id", "user_id", "channel", "event", "status", "attempts", "provider_message_id", "device")}
               for n in notes])


async def twilio_status(call: Call) -> Response:
    request = call.request
    settings = brokerage(request).settings
    # Twilio posts application/x-www-form-urlencoded; parsed here rather than adding python-multipart.
    params = dict(parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True))
    receipts = Receipts(_outbox(request), settings.twilio.auth_token, settings.public_url)
    if not receipts.valid(request.url.path, request.url.query, params, request.headers.get("x-twilio-signature")):
        raise HttpError(403, "bad_signature", "The request is not signed by Twilio.")
    await receipts.apply(request.query_params.get("n", ""), params)
    return Response(status_code=204)


async def twilio_inbound(call: Call) -> Response:
    """Twilio's incoming-message webhook: a provider answering an alert by text (NO / MORE)."""
    request = call.request
    service = brokerage(request)
    settings = service.settings
    params = dict(parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True))
    receipts = Receipts(_outbox(request), settings.twilio.auth_token, settings.public_url)
    if not receipts.valid(request.url.path, request.url.query, params, request.headers.get("x-twilio-signature")):
        raise HttpError(403, "bad_signature", "The request is not signed by Twilio.")
    sender = sms_sender(settings, DevOutbox(service.redis))
    try:
        async def send(to: str, body: str) -> None:
            await sender.send(to, body, None)

        replies = TextReplies(service.accounts, ReplyCodes(service.redis), service.offers, service.time_requests, send)
        await replies.handle(params.get("From", ""), params.get("Body", ""), params.get("MessageSid", ""))
    finally:
        await sender.close()
    # The confirmation went out through the REST API (so it is recorded like every SMS); an
    # empty TwiML answer keeps Twilio from sending anything more.
    return Response('<?xml version="1.0" encoding="UTF-8"?><Response></Response>', media_type="text/xml")


async def dev_outbox(call: Call) -> Response:
    request = call.request
    settings = brokerage(request).settings
    if settings.smtp.host and settings.twilio.account_sid:
        raise HttpError(404, "not_found", "Email and SMS are sent for real; there is no dev outbox.")
    messages = await DevOutbox(brokerage(request).redis).recent()
    if call.query.format == "json" or "application/json" in request.headers.get("accept", ""):
        return JSONResponse(messages)
    rows = "".join(
        f"<tr><td>{html.escape(m.get('channel', ''))}</td><td>{html.escape(m.get('to', ''))}</td>"
        f"<td>{html.escape(m.get('subject', ''))}</td><td><pre>{html.escape(m.get('text') or m.get('body') or '')}</pre></td></tr>"
        for m in messages
    )
    page = (
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Dev outbox</title></head><body>"
        f"<h1>Dev outbox</h1><p>{len(messages)} recent messages (not sent: no SMTP/Twilio configured).</p>"
        f"<table border=\"1\"><tr><th>channel</th><th>to</th><th>subject</th><th>text</th></tr>{rows}</table></body></html>"
    )
    return HTMLResponse(page)


async def short_link(call: Call) -> Response:
    """The short link in SMS bodies: /p/{id} -> the provider's package page."""
    package_id = call.param("package_id")
    return RedirectResponse(f"/provider/packages/{quote(package_id, safe='')}", status_code=302)


routes = [
    api.get("/api/notifications", list_notifications, "A package's notifications and their delivery", auth=BROKER,
            query=NotificationQuery, returns=list[NotificationOut], errors=(404,), tag="notifications"),
    api.post(STATUS_PATH, twilio_status, "Twilio's status callback (form-encoded, X-Twilio-Signature checked)",
             auth=PUBLIC, status=204, errors=(403,), media="", tag="hooks"),
    api.post(INBOUND_PATH, twilio_inbound, "Twilio's incoming-message webhook: a provider answers an alert by text "
             "(NO/MORE with the reply code; form-encoded, X-Twilio-Signature checked)",
             auth=PUBLIC, errors=(403,), media="text/xml", tag="hooks"),
    # Every recipient's address and number is on this page: brokers and admins only.
    api.get("/dev/outbox", dev_outbox, "Messages kept instead of sent while a channel is in dev mode (HTML, or JSON)",
            auth=BROKER, query=OutboxQuery, returns=list[dict], errors=(404,), extra_media={"text/html": "a table"},
            tag="operations"),
    api.get("/p/{package_id}", short_link, "The short link in SMS: redirects to the provider's package page",
            auth=PUBLIC, status=302, media="", tag="hooks"),
]
