"""Reports for brokers and managers (admins)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from matcher import Invalid, Reports, parse_range, to_csv
from web.http import brokerage, current_user, ok

FORMATS = ("json", "csv")


async def summary(request: Request) -> Response:
    await current_user(request, "broker")
    fmt = request.query_params.get("format") or "json"
    if fmt not in FORMATS:
        raise Invalid({"format": "must be json or csv"})
    span = parse_range(request.query_params)
    service = brokerage(request)
    report = await Reports(service.redis).summary(span)
    # Every provider id in the report can be shown by name.
    ids = {*report["provider_response_rate"], *report["awarded_hours_by_provider"]}
    report["providers"] = dict(sorted((await service.providers.names(ids)).items()))
    if fmt == "json":
        return ok(report)
    return Response(to_csv(report), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": 'attachment; filename="summary.csv"',
    })


routes = [Route("/api/reports/summary", summary, methods=["GET"])]
