"""The provider board's cards as words, for the server-rendered first view: the page shows
the packages before (and without) any JavaScript, in the same words the live script uses."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from web.pages.labels import BAND_TIMES, words

UK = ZoneInfo("Europe/London")
URGENCY = {
    "red": ("Red", "Respond within 1 hour", "govuk-tag--red"),
    "amber": ("Amber", "Respond within 24 hours", "govuk-tag--orange"),
    "green": ("Green", "Respond within 48 hours", "govuk-tag--green"),
}
DAY_SHORT = {"mon": "Mon", "tue": "Tue", "wed": "Wed", "thu": "Thu", "fri": "Fri", "sat": "Sat", "sun": "Sun"}


def _place(p: dict[str, Any]) -> str:
    where = p.get("sector") or p.get("district") or ""
    if p.get("area"):
        where += f" ({p['area']})"
    if p.get("distance_km") is not None:
        where += f" · {float(p['distance_km']):.1f} km away"
    return where or "Package"


def _when(iso_text: str) -> str:
    moment = datetime.fromisoformat(iso_text.replace("Z", "+00:00")).astimezone(UK)
    return moment.strftime("%-d %b, %H:%M")


def _day(text: str) -> str:
    try:
        return date.fromisoformat(text).strftime("%a %-d %b %Y")
    except (TypeError, ValueError):
        return str(text or "")


def _visit(v: dict[str, Any]) -> str:
    days = ", ".join(DAY_SHORT.get(d, d) for d in v.get("days", []))
    band = v.get("band", "")
    carers = "2 carers" if v.get("carers") == 2 else "1 carer"
    critical = ", time critical" if v.get("time_critical") else ""
    return f"{days}: {band} ({BAND_TIMES.get(band, '')}), {v.get('minutes')} min, {carers}{critical}"


def card(p: dict[str, Any]) -> dict[str, Any]:
    name, in_words, tag = URGENCY.get(p.get("urgency", ""), ("", "", ""))
    return {
        "id": p["id"], "urgency": p.get("urgency"), "name": name, "words": in_words, "tag": tag, "place": _place(p),
        "deadline": p.get("deadline") or "", "respond_by": _when(p["deadline"]) if p.get("deadline") else "",
        "needs": f"{p.get('hours_per_week'):g} hours a week · starts {_day(p.get('start_date', ''))} · "
                 f"{words(p.get('service_type', ''))}, {words(p.get('client_group', '')).lower()}",
        "visits": [_visit(v) for v in p.get("visits", [])],
        "specialisms": ", ".join(words(s) for s in p.get("specialisms", [])),
        "matched_availability": bool(p.get("matched_availability")),
    }
