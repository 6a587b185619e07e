"""The provider's history: every package it was matched to in a date range, newest first,
with how each ended for it, and its own figures over the same range (response rate, offers,
win rate, hours won), computed by the broker reports' own code so the figures agree.

A provider sees only its own records: a package it did not win shows its sector, never
who won it or at what price."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core import EARLIEST_YEAR, LATEST_YEAR
from matcher import Invalid, Reports, parse_range
from web.pages.board_cards import URGENCY
from web.pages.render import example_date, guarded, page, page_user
from web.team import book, team_states

PER_PAGE = 20
DEFAULT_DAYS = 90
PARTS = ("day", "month", "year")


def _typed(request: Request, name: str) -> dict[str, str]:
    return {part: request.query_params.get(f"{name}-{part}", "").strip() for part in PARTS}


def _date(fields: dict[str, str], label: str) -> tuple[dt.date | None, str | None]:
    """A GOV.UK date input's three fields as a date, or the message to show beside them."""
    if not any(fields.values()):
        return None, None
    missing = [p for p in PARTS if not fields[p]]
    if missing:
        return None, f"{label} must include a {missing[0]}"
    if not all(fields[p].isdigit() for p in PARTS) or len(fields["year"]) != 4:
        return None, f"{label} must be a real date, for example {example_date(0)}"
    try:
        day = dt.date(int(fields["year"]), int(fields["month"]), int(fields["day"]))
    except ValueError:
        return None, f"{label} must be a real date"
    if not EARLIEST_YEAR <= day.year <= LATEST_YEAR:
        # 5 1 0001 is a real date, but 90 days before it is none: refused like the reports' range.
        return None, f"{label} must be between {EARLIEST_YEAR} and {LATEST_YEAR}"
    return day, None


def _fields_of(day: dt.date) -> dict[str, str]:
    return {"day": str(day.day), "month": str(day.month), "year": str(day.year)}


async def history(request: Request) -> Response:
    user = await page_user(request, "provider")
    service = request.state.brokerage
    today = dt.datetime.now(dt.UTC).date()
    typed = {"from": _typed(request, "from"), "to": _typed(request, "to")}
    start, from_error = _date(typed["from"], "The start date")
    end, to_error = _date(typed["to"], "The end date")
    errors = {k: v for k, v in (("from", from_error), ("to", to_error)) if v}
    end = end or today
    start = start or end - dt.timedelta(days=DEFAULT_DAYS)
    if not errors and start > end:
        errors["from"] = "The start date must be the same as or before the end date"
    if not errors and end > today:
        errors["to"] = "The end date must be today or in the past"
    shown = {"from": typed["from"] if any(typed["from"].values()) else _fields_of(start),
             "to": typed["to"] if any(typed["to"].values()) else _fields_of(end)}
    if errors:
        return page(request, "provider_history.html", user, status=422, errors=errors, shown=shown, rows=[], figures=None)
    try:
        # The broker report's own range: whole UTC days, `to` inclusive.
        span = parse_range({"from": start.isoformat(), "to": end.isoformat()})
    except Invalid as exc:
        return page(request, "provider_history.html", user, status=422, errors=exc.fields or {}, shown=shown, rows=[], figures=None)
    provider_id = user.provider_id or ""
    packages = await book(service).matched_in(provider_id, span)
    figures = await Reports(service.redis).provider_figures(provider_id, [p.id for p in packages], span)
    pages = max(1, math.ceil(len(packages) / PER_PAGE))
    try:
        page_n = min(max(1, int(request.query_params.get("page", "1"))), pages)
    except ValueError:
        page_n = 1
    chunk = packages[(page_n - 1) * PER_PAGE: page_n * PER_PAGE]
    states = await team_states(service, user, [p.id for p in chunk])
    rows = [_row(p, states.get(p.id)) for p in chunk]
    query = urlencode({f"{name}-{part}": shown[name][part] for name in ("from", "to") for part in PARTS})
    return page(request, "provider_history.html", user, errors={}, shown=shown, rows=rows, figures=_figure_words(figures),
                total=len(packages), page_n=page_n, pages=pages, query=query, start=start, end=end)


def _row(package: Any, state: dict[str, Any] | None) -> dict[str, Any]:
    name, _, tag = URGENCY.get(package.urgency, ("", "", ""))
    own = state.get("hourly_rate") if state else None
    return {
        "id": package.id, "posted": dt.date.fromisoformat(package.posted_at[:10]).strftime("%a %-d %b %Y"), "posted_at": package.posted_at,
        # Sector only: the history of a package it did not win never locates the person further.
        "place": (package.sector or package.district) + (f" ({package.area})" if package.area else ""), "urgency": name, "urgency_tag": tag,
        "hours": f"{package.hours_per_week:g} hours a week", "state": state,
        "own_offer": f"£{own:.2f} an hour" if own is not None else None,
    }


def _figure_words(f: dict[str, Any]) -> dict[str, Any]:
    pct = lambda v: "no data" if v is None else f"{v:g}%"  # noqa: E731
    return {
        **f,
        "response_rate_text": pct(f["response_rate"]), "win_rate_text": pct(f["win_rate"]),
        "hours_won_text": f"{f['hours_won']:g}",
    }


routes = [
    Route("/provider/history", guarded(history), methods=["GET"]),
]
