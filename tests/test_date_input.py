"""web.pages.dates: the GOV.UK date input read from a query string, with the Design System's
error messages and the parts to highlight; a from/to range of two of them."""

from __future__ import annotations

from datetime import date

import pytest

from web.pages.dates import read_date, read_range


def typed(day: str, month: str, year: str, name: str = "from") -> dict[str, str]:
    return {f"{name}-day": day, f"{name}-month": month, f"{name}-year": year}


@pytest.mark.parametrize(("day", "month", "year", "error", "bad"), [
    ("27", "3", "2026", None, ()),
    (" 1 ", "03", "2026", None, ()),
    ("", "", "", None, ()),
    ("31", "2", "2026", "Date from must be a real date", ("day", "month", "year")),
    ("", "3", "2026", "Date from must include a day", ("day",)),
    ("", "", "2026", "Date from must include a day and month", ("day", "month")),
    ("1", "", "", "Date from must include a month and year", ("month", "year")),
    ("x", "3", "2026", "Date from must be a real date", ("day",)),
    ("1", "13", "2026", "Date from must be a real date", ("day", "month", "year")),
    ("1", "3", "26", "Year must include 4 numbers", ("year",)),
    ("-1", "3", "2026", "Date from must be a real date", ("day",)),
])
def test_one_date(day: str, month: str, year: str, error: str | None, bad: tuple[str, ...]) -> None:
    field = read_date(typed(day, month, year), "from", "Date from")
    assert (field.error, field.bad) == (error, bad)
    assert field.typed == {"day": day.strip(), "month": month.strip(), "year": year.strip()}
    if error:
        assert field.value is None and field.anchor == f"from-{bad[0]}"


def test_iso_from_links_and_the_api_fills_the_fields() -> None:
    field = read_date({"from": "2026-03-07"}, "from", "Date from")
    assert field.value == date(2026, 3, 7) and field.typed == {"day": "7", "month": "3", "year": "2026"}
    assert read_date({"from": "yesterday"}, "from", "Date from").error == "Date from must be a real date"
    # The three fields win over an ISO date in the same query.
    assert read_date({"from": "2026-03-07", **typed("8", "3", "2026")}, "from", "Date from").value == date(2026, 3, 8)


def test_a_range() -> None:
    span = read_range({**typed("1", "3", "2026"), **typed("31", "3", "2026", "to")})
    assert span.errors == {} and span.iso() == {"from": "2026-03-01", "to": "2026-03-31"}
    backwards = read_range({**typed("2", "4", "2026"), **typed("1", "4", "2026", "to")})
    assert backwards.errors == {"to-day": "Date to must be the same as or after date from"}
    both = read_range({**typed("31", "2", "2026"), **typed("", "4", "2026", "to")})
    assert both.errors == {"from-day": "Date from must be a real date", "to-day": "Date to must include a day"}
    assert both.bad == {"from": ("day", "month", "year"), "to": ("day",)}
    assert read_range({}).iso() == {}


def test_a_hints_example_date_is_from_today_so_never_in_the_past() -> None:
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from web.pages.render import TEMPLATES, example_date

    today = datetime.now(ZoneInfo("Europe/London")).date()
    tomorrow = today + timedelta(days=1)
    assert example_date(1) == f"{tomorrow.day} {tomorrow.month} {tomorrow.year}"
    # A new deadline's example is the day after the current one, in UK time.
    assert example_date(1, after="2026-06-30T23:30:00Z") == "2 7 2026"  # 1 July 00:30 BST, plus a day
    # The shared macro's default hint uses it too (a week ahead), and a given hint wins.
    macro = TEMPLATES.env.from_string(
        '{% from "_date_input.html" import date_input %}'
        '{{ date_input({"name": "a", "typed": {}, "bad": ()}, "A") }}'
        '{{ date_input({"name": "b", "typed": {}, "bad": ()}, "B", hint="Given") }}').render()
    week = today + timedelta(days=7)
    assert f"For example, {week.day} {week.month} {week.year}" in macro
    assert "Given" in macro
