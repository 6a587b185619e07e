"""Brokers' tools: bulk import by CSV, re-posting, why nobody matched, the recent feed."""

from __future__ import annotations

import json

from typing import Annotated

from pydantic import Field
from starlette.responses import Response

from matcher import Query, broker_view, bulk
from realtime import message
from web import api
from web.api import BROKER, Call
from web.errors import HttpError
from web.http import brokerage, ok
from web.outputs import Imported, MatchReport, PackageView, RecentEvents, UserNames

MAX_CSV = 2_000_000


class RecentQuery(Query):
    limit: Annotated[int, Field(ge=1, le=1000)] = 100


NAMES_AT_ONCE = 50


class NamesQuery(Query):
    ids: Annotated[str, Field(max_length=2_000, pattern=r"^[A-Za-z0-9_,-]*$",
                              description=f"user ids, comma-separated (at most {NAMES_AT_ONCE})")] = ""


async def import_csv(call: Call) -> Response:
    """`POST /api/packages/import` with the CSV as the body (text/csv): all rows or none."""
    raw = await call.request.body()
    if len(raw) > MAX_CSV:
        raise HttpError(413, "body_too_large", "The file is too large; split it.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HttpError(422, "invalid_fields", "The file must be saved as CSV UTF-8.", {"file": "is not UTF-8 text"}) from exc
    report = await brokerage(call.request).imports.start(text, call.me.id)
    return ok(report.to_dict(), 201)


async def import_report(call: Call) -> Response:
    return ok((await brokerage(call.request).imports.report(call.param("import_id"))).to_dict())


async def resume_import(call: Call) -> Response:
    return ok((await brokerage(call.request).imports.resume(call.param("import_id"))).to_dict())


async def csv_template(call: Call) -> Response:
    return Response(bulk.template(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="packages-template.csv"'})


async def repost(call: Call) -> Response:
    package = await brokerage(call.request).packages.repost(call.param("package_id"), call.me.id)
    return ok(broker_view(package), 201)


async def match_report(call: Call) -> Response:
    return ok(await brokerage(call.request).packages.match_report(call.param("package_id")))


async def recent_events(call: Call) -> Response:
    """`GET /api/events/recent?limit=100` (broker): the last events as the broker's socket
    carries them, oldest first, and `last_id` to resume the socket from (`/ws?after=`)."""
    service = brokerage(call.request)
    events = await service.events.recent(call.query.limit)
    last = events[-1].id if events else await service.events.last_id()
    return ok({"events": [json.loads(message(e, for_broker=True)) for e in events], "last_id": last})


async def user_names(call: Call) -> Response:
    """`GET /api/users/names?ids=usr_1,usr_2` (broker): who each user id in the feed is (the
    user's email address, the name the service knows them by), and the provider each provider
    user works for (so a message's line can name the provider it reached); ids of no user are
    left out."""
    wanted = {i for i in (part.strip() for part in call.query.ids.split(",")) if i}
    if len(wanted) > NAMES_AT_ONCE:
        raise HttpError(422, "invalid_fields", f"Ask for at most {NAMES_AT_ONCE} users at once.", {"ids": f"at most {NAMES_AT_ONCE} ids"})
    users = await brokerage(call.request).accounts.list() if wanted else []
    known = [u for u in users if u.id in wanted]
    return ok({"names": {u.id: u.email for u in known}, "providers": {u.id: u.provider_id for u in known if u.provider_id}})


T = "packages"
routes = [
    api.get("/api/users/names", user_names, "Who the users named in events are (the feed shows names, not ids)",
            auth=BROKER, query=NamesQuery, returns=UserNames, tag="events"),
    api.get("/api/events/recent", recent_events, "The last events as the broker's socket carries them, and the id "
            "to resume the socket from", auth=BROKER, query=RecentQuery, returns=RecentEvents, tag="events"),
    api.post("/api/packages/import", import_csv, "Post packages from a CSV file (text/csv body): every row or none",
             auth=BROKER, returns=Imported, status=201, tag=T, body_media="text/csv",
             description="The body is the CSV file itself (`Content-Type: text/csv`), one row per package; "
                         "the template is at `/api/packages/import/template.csv`. Errors name `rows[N].column`. "
                         "Every row is validated before any is posted; the rows are then posted in small "
                         "transactions (other requests run in between) and the answer is the report "
                         "(`GET /api/packages/imports/{import_id}` reads it again).",
             extra_responses={413: "The file is too large; split it.",
                              422: "A row is invalid; `fields` names each `rows[N].column`. Nothing was posted."}),
    api.get("/api/packages/import/template.csv", csv_template, "The CSV template for bulk import", auth=BROKER,
            tag=T),
    api.get("/api/packages/imports/{import_id}", import_report, "An import's progress and report: the rows posted so far",
            auth=BROKER, returns=Imported, tag=T),
    api.post("/api/packages/imports/{import_id}/resume", resume_import,
             "Carry on an import whose posting stopped (rows already posted are never posted again)",
             auth=BROKER, returns=Imported, errors=(409,), tag=T),
    api.post("/api/packages/{package_id}/repost", repost, "Re-post an unplaced or withdrawn package as a copy",
             auth=BROKER, returns=PackageView, status=201, errors=(409,), tag=T),
    api.get("/api/packages/{package_id}/match-report", match_report, "How many providers each eligibility rule "
            "excluded", auth=BROKER, returns=MatchReport, tag=T),
]
