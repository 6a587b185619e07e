"""Notifications: the broker's list, Twilio's status callback, the dev outbox, short links."""

from __future__ import annotations

import html
from urllib.parse import parse_qsl, quote

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from matcher import Invalid
from notifier import INBOUND_PATH, STATUS_PATH, DevOutbox, Outbox, Receipts, ReplyCodes, TextReplies, sms_sender
from web.errors import HttpError
from web.http import brokerage, current_user, ok


def _outbox(request: Request) -> Outbox:
    service = brokerage(request)
    return Outbox(service.redis, service.events)


async def list_notifications(request: Request) -> Response:
    await current_user(request, "broker")
    package_id = request.query_params.get("package_id")
    if not package_id:
        raise Invalid({"package_id": "is required"})
    await brokerage(request).packages.load(package_id)  # 404 for an unknown package
    notes = await _outbox(request).for_package(package_id)
    return ok([{k: n.public()[k] for k in ("id", "user_id", "channel", "event", "status", "attempts", "provider_message_id")}
               for n in notes])


async def twilio_status(request: Request) -> Response:
    settings = brokerage(request).settings
    # Twilio posts application/x-www-form-urlencoded; parsed here rather than adding python-multipart.
    params = dict(parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True))
    receipts = Receipts(_outbox(request), settings.twilio.auth_token, settings.public_url)
    if not receipts.valid(request.url.path, request.url.query, params, request.headers.get("x-twilio-signature")):
        raise HttpError(403, "bad_signature", "The request is not signed by Twilio.")
    await receipts.apply(request.query_params.get("n", ""), params)
    return Response(status_code=204)


async def twilio_inbound(request: Request) -> Response:
    """Twilio's incoming-message webhook: a provider answering an alert by text (NO / MORE)."""
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


async def dev_outbox(request: Request) -> Response:
    settings = brokerage(request).settings
    if settings.smtp.host and settings.twilio.account_sid:
        raise HttpError(404, "not_found", "Email and SMS are sent for real; there is no dev outbox.")
    messages = await DevOutbox(brokerage(request).redis).recent()
    if request.query_params.get("format") == "json" or "application/json" in request.headers.get("accept", ""):
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


async def short_link(request: Request) -> Response:
    """The short link in SMS bodies: /p/{id} -> the provider's package page."""
    package_id = request.path_params["package_id"]
    return RedirectResponse(f"/provider/packages/{quote(package_id, safe='')}", status_code=302)


routes = [
    Route("/api/notifications", list_notifications, methods=["GET"]),
    Route(STATUS_PATH, twilio_status, methods=["POST"]),
    Route(INBOUND_PATH, twilio_inbound, methods=["POST"]),
    Route("/dev/outbox", dev_outbox, methods=["GET"]),
    Route("/p/{package_id}", short_link, methods=["GET"]),
]
