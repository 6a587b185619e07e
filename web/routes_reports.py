"""Reports for brokers and managers (admins)."""

from __future__ import annotations

from starlette.responses import Response

from matcher import Reports, parse_range, to_csv
from web import api
from web.api import BROKER, Call
from web.http import brokerage, ok
from web.inputs import ReportQuery
from web.outputs import Summary


async def summary(call: Call) -> Response:
    query: ReportQuery = call.query
    span = parse_range({"from": query.from_, "to": query.to})
    service = brokerage(call.request)
    report = await Reports(service.redis).summary(span)
    # Every provider id in the report can be shown by name.
    ids = {*report["provider_response_rate"], *report["awarded_hours_by_provider"]}
    report["providers"] = dict(sorted((await service.providers.names(ids)).items()))
    if query.format == "json":
        return ok(report)
    return Response(to_csv(report), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": 'attachment; filename="summary.csv"',
    })


routes = [
    api.get("/api/reports/summary", summary, "Placement figures over a period (JSON, or CSV with ?format=csv)",
            auth=BROKER, query=ReportQuery, returns=Summary, tag="reports",
            extra_media={"text/csv": "the same figures as metric,key,value rows"}),
]
