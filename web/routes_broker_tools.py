"""Brokers' tools: bulk import by CSV, re-posting, why nobody matched, the recent feed."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from matcher import Invalid, broker_view, bulk
from realtime import message
from web.errors import HttpError
from web.http import brokerage, current_user, ok

MAX_CSV = 2_000_000


async def import_csv(request: Request) -> Response:
    """`POST /api/packages/import` with the CSV as the body (text/csv): all rows or none."""
    user = await current_user(request, "broker")
    raw = await request.body()
    if len(raw) > MAX_CSV:
        raise HttpError(413, "body_too_large", "The file is too large; split it.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HttpError(422, "invalid_fields", "The file must be saved as CSV UTF-8.", {"file": "is not UTF-8 text"}) from exc
    posted = await brokerage(request).packages.post_many(text, user.id)
    return ok({"posted": len(posted), "packages": [
        {"row": n, "id": p.id, "reference": p.reference, "postcode": p.postcode, "urgency": p.urgency,
         "deadline": p.deadline, "matched": p.matched, "status": p.status}
        for n, p in enumerate(posted, start=1)
    ]}, 201)


async def csv_template(request: Request) -> Response:
    await current_user(request, "broker")
    return Response(bulk.template(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="packages-template.csv"'})


async def repost(request: Request) -> Response:
    user = await current_user(request, "broker")
    package = await brokerage(request).packages.repost(request.path_params["package_id"], user.id)
    return ok(broker_view(package), 201)


async def match_report(request: Request) -> Response:
    await current_user(request, "broker")
    return ok(await brokerage(request).packages.match_report(request.path_params["package_id"]))


async def recent_events(request: Request) -> Response:
    """`GET /api/events/recent?limit=100` (broker): the last events as the broker's socket
    carries them, oldest first, and `last_id` to resume the socket from (`/ws?after=`)."""
    await current_user(request, "broker")
    raw = request.query_params.get("limit", "100")
    if not raw.isdigit() or not 1 <= int(raw) <= 1000:
        raise Invalid({"limit": "must be a whole number from 1 to 1000"})
    events = await brokerage(request).events.recent(int(raw))
    last = events[-1].id if events else await brokerage(request).events.last_id()
    return ok({"events": [json.loads(message(e, for_broker=True)) for e in events], "last_id": last})


routes = [
    Route("/api/events/recent", recent_events, methods=["GET"]),
    Route("/api/packages/import", import_csv, methods=["POST"]),
    Route("/api/packages/import/template.csv", csv_template, methods=["GET"]),
    Route("/api/packages/{package_id}/repost", repost, methods=["POST"]),
    Route("/api/packages/{package_id}/match-report", match_report, methods=["GET"]),
]
