"""The GOV.UK date input (day, month, year in three fields) read from a query string, with
the Design System's error messages ("Date from must be a real date"), and a "from"/"to"
range of them for the pages that filter by date (the audit trail, the broker reports).

The macro that draws the fields is `date_input` in templates/_date_input.html; its
fields are `<name>-day`, `<name>-month`, `<name>-year`. A range also takes the ISO
`from`/`to` the API and older links use, so a bookmarked address keeps working."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Mapping

from core import EARLIEST_YEAR, LATEST_YEAR

PARTS = ("day", "month", "year")
_NUMBER = re.compile(r"\d{1,4}")


@dataclass
class DateField:
    """One date input as typed, and what is wrong with it (GOV.UK wording)."""

    name: str  # "from", "to"
    label: str  # "Date from": starts every message
    typed: dict[str, str] = field(default_factory=dict)
    value: date | None = None
    error: str | None = None
    bad: tuple[str, ...] = ()  # the parts to highlight

    @property
    def anchor(self) -> str:
        """The id the error summary links to: the first part in error."""
        return f"{self.name}-{(self.bad or PARTS)[0]}"


def read_date(query: Mapping[str, str], name: str, label: str) -> DateField:
    out = _read_date(query, name, label)
    if out.value is not None and not EARLIEST_YEAR <= out.value.year <= LATEST_YEAR:
        # A real date, but none the service could hold (and 31 12 9999's day end is no date).
        # 'Date to must be between 1970 and 9998' read as a range of dates: say it is the year.
        out.value, out.error, out.bad = None, f"{label} must have a year between {EARLIEST_YEAR} and {LATEST_YEAR}", ("year",)
    return out


def _read_date(query: Mapping[str, str], name: str, label: str) -> DateField:
    typed = {p: (query.get(f"{name}-{p}") or "").strip()[:10] for p in PARTS}
    out = DateField(name, label, typed)
    if not any(typed.values()):
        iso = (query.get(name) or "").strip()
        if iso:  # from a link or the API's form: 2026-03-27
            try:
                out.value = date.fromisoformat(iso[:10])
                out.typed = {"day": str(out.value.day), "month": str(out.value.month), "year": str(out.value.year)}
            except ValueError:
                out.error, out.bad = f"{label} must be a real date", PARTS
        return out
    missing = tuple(p for p in PARTS if not typed[p])
    if missing:
        out.error, out.bad = f"{label} must include a {' and '.join(missing)}", missing
        return out
    if not all(_NUMBER.fullmatch(typed[p]) for p in PARTS):
        out.error, out.bad = f"{label} must be a real date", tuple(p for p in PARTS if not _NUMBER.fullmatch(typed[p])) or PARTS
        return out
    if len(typed["year"]) != 4:
        out.error, out.bad = "Year must include 4 numbers", ("year",)
        return out
    try:
        out.value = date(int(typed["year"]), int(typed["month"]), int(typed["day"]))
    except ValueError:
        out.error, out.bad = f"{label} must be a real date", PARTS
    return out


@dataclass
class DateRange:
    start: DateField
    end: DateField

    @property
    def errors(self) -> dict[str, str]:
        """anchor -> message, for the error summary and the page's status."""
        return {f.anchor: f.error for f in (self.start, self.end) if f.error}

    @property
    def bad(self) -> dict[str, tuple[str, ...]]:
        return {f.name: f.bad for f in (self.start, self.end) if f.error}

    def iso(self) -> dict[str, str]:
        """from/to as ISO dates, for the domain's filters and for links (CSV downloads)."""
        return {f.name: f.value.isoformat() for f in (self.start, self.end) if f.value is not None}


def read_range(query: Mapping[str, str], start: str = "from", end: str = "to") -> DateRange:
    span = DateRange(read_date(query, start, "Date from"), read_date(query, end, "Date to"))
    if span.start.value and span.end.value and span.start.value > span.end.value:
        span.end.error, span.end.bad = "Date to must be the same as or after date from", PARTS
    return span
