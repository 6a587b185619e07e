"""The reports page: the summary report for a date range as SVG charts, each with its table
and a CSV of its own figures."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core import spreadsheet_row
from matcher import URGENCIES, Invalid, Reports, parse_range
from web.pages import charts
from web.pages.dates import DateRange, read_range
from web.pages.render import guarded, page, page_user

KPI = 75.0  # West Sussex: providers respond to at least 75 % of the packages they are sent
CHARTS = ("time-to-place", "within-deadline", "unmet-need", "offers", "response-rate", "hours-spread")


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "no awards"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h" + (f" {rest} min" if rest else "")


def pct(value: float | None) -> str:
    return "no data" if value is None else f"{value:g}%"


async def _figures(request: Request) -> tuple[dict[str, Any], dict[str, list[list[str]]], dict[str, str]]:
    """The report, the table of each chart (header row first), and the range as ISO dates.
    The range comes from the GOV.UK date inputs (from-day, from-month, from-year, to-…) or,
    in links and CSV downloads, from ISO `from`/`to`."""
    dates = read_range(request.query_params)
    if dates.errors:
        raise Invalid(dates.errors)
    params = dates.iso()
    span = parse_range(params)
    service = request.state.brokerage
    report = await Reports(service.redis).summary(span)
    ids = {*report["provider_response_rate"], *report["awarded_hours_by_provider"]}
    names = await service.providers.names(ids)
    name = lambda pid: names.get(pid, pid)  # noqa: E731
    hours = {pid: report["awarded_hours_by_provider"].get(pid, 0.0) for pid in ids}
    points, gini = charts.lorenz(list(hours.values()))
    report["gini"], report["lorenz"] = gini, points
    ordered = sorted(hours.items(), key=lambda kv: (kv[1], name(kv[0])))
    total = sum(hours.values()) or 1.0
    running = 0.0
    spread = []
    for pid, h in ordered:
        running += h
        spread.append([name(pid), f"{h:g}", f"{100 * running / total:.1f}%"])
    tables = {
        "time-to-place": [["Urgency", "Median time to place"]] + [[u.capitalize(), duration(report["median_seconds_to_award"][u])] for u in URGENCIES],
        "within-deadline": [["Figure", "Value"], ["Packages posted", str(report["posted"])], ["Placed", str(report["awarded"])],
                            ["Unplaced", str(report["unplaced"])], ["Placed within the deadline", pct(report["awarded_within_deadline_pct"])]],
        "unmet-need": [["District", "Unplaced packages"]] + [[d, str(n)] for d, n in report["unplaced_by_district"].items()],
        "offers": [["Figure", "Value"], ["Offers per package", "no data" if report["offers_per_package"] is None else f"{report['offers_per_package']:g}"]],
        "response-rate": [["Provider", "Response rate", "Meets 75% target"]] + [
            [name(pid), pct(rate), "yes" if rate is not None and rate >= KPI else "no"]
            for pid, rate in sorted(report["provider_response_rate"].items(), key=lambda kv: name(kv[0]))],
        "hours-spread": [["Provider", "Awarded hours a week", "Cumulative share of hours"]] + spread,
    }
    return report, tables, params


async def reports_page(request: Request) -> Response:
    user = await page_user(request, "broker")
    dates = read_range(request.query_params)
    try:
        report, tables, params = await _figures(request)
    except Invalid as exc:
        if not dates.errors:  # the domain's own refusal (none expected once the dates are real)
            dates.start.error, dates.start.bad = f"Date from {'; '.join((exc.fields or {}).values()) or exc.message}", ("day", "month", "year")
        return page(request, "broker_reports.html", user, status=422, errors=dates.errors, dates=dates, params={})
    svg = {
        "time-to-place": charts.bars("chart-time-to-place", "Median time to place, by urgency", [
            charts.Bar(u.capitalize(), (report["median_seconds_to_award"][u] or 0) / 3600, duration(report["median_seconds_to_award"][u]))
            for u in URGENCIES]),
        "within-deadline": charts.bars("chart-within-deadline", "Packages placed within the deadline", [
            charts.Bar("Within deadline", report["awarded_within_deadline_pct"], pct(report["awarded_within_deadline_pct"]))], top=100),
        "unmet-need": charts.bars("chart-unmet-need", "Unplaced packages by district", [
            charts.Bar(d, n, str(n), key=d) for d, n in report["unplaced_by_district"].items()]) if report["unplaced_by_district"] else None,
        "response-rate": charts.bars("chart-response-rate", "Provider response rate against the 75% target", [
            charts.Bar(row[0], float(row[1].rstrip("%")) if row[1] != "no data" else None, row[1])
            for row in tables["response-rate"][1:]], top=100, target=KPI, target_text="75% target") if len(tables["response-rate"]) > 1 else None,
        "hours-spread": charts.lorenz_chart("chart-hours-spread", "Spread of awarded hours across providers (Lorenz curve)", report["lorenz"], report["gini"]),
    }
    query = urlencode({k: v for k, v in params.items() if v})
    # Unmet need on the map: each district in the table links to itself highlighted there
    # (a plain link, so it works without the script that then saves the reload).
    unmet = report["unplaced_by_district"]
    district = request.query_params.get("district", "")
    district = district if district in unmet else None
    links = {"unmet-need": {d: "/broker/reports?" + urlencode({**params, "district": d}) + "#unmet-map" for d in unmet}}
    return page(request, "broker_reports.html", user, report=report, tables=tables, svg=svg, params=params, query=query, errors={},
                dates=_shown(dates, report), links=links, district=district, unmet_json=json.dumps(unmet), long_date=_long_date)


def _long_date(iso: str) -> str:
    """'2026-03-01…' as a person writes it: '1 March 2026' (GOV.UK style)."""
    return date.fromisoformat(iso[:10]).strftime("%-d %B %Y")


def _shown(dates: DateRange, report: dict[str, Any]) -> DateRange:
    """The date inputs filled with the range the report covers (the last 30 days by default)."""
    for field, moment in ((dates.start, report["from"]), (dates.end, report["to"])):
        if not any(field.typed.values()):
            day = date.fromisoformat(moment[:10])
            field.typed = {"day": str(day.day), "month": str(day.month), "year": str(day.year)}
    return dates


async def chart_csv(request: Request) -> Response:
    await page_user(request, "broker")
    chart = request.path_params["chart"]
    if chart not in CHARTS:
        return Response("No such chart.", status_code=404, media_type="text/plain")
    try:
        _, tables, _ = await _figures(request)
    except Invalid as exc:
        return Response(f"Bad range: {exc.message}", status_code=422, media_type="text/plain")
    out = io.StringIO()
    # Provider names are typed by people: never a formula in the broker's spreadsheet.
    csv.writer(out, lineterminator="\r\n").writerows(spreadsheet_row(row) for row in tables[chart])
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{chart}.csv"'})


routes = [
    Route("/broker/reports", guarded(reports_page), methods=["GET"]),
    Route("/broker/reports/{chart}.csv", guarded(chart_csv), methods=["GET"]),
]
