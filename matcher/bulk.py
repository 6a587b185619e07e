"""Bulk posting from a council's spreadsheet: CSV rows into package bodies.

One row is one package with one visit line (the common shape of a homecare referral); a row
is turned into the same body `POST /api/packages` takes, so one validation serves both.
Errors are named `rows[N].field`, N the data row counted from 1 (row 1 is the line under the
header), so a broker can find the cell in the spreadsheet."""

from __future__ import annotations

import csv
import io
import math
from typing import Any

from matcher.errors import Invalid

COLUMNS = (
    "reference", "postcode", "urgency", "service_type", "client_group", "hours_per_week", "start_date",
    "days", "band", "minutes", "carers", "time_critical", "specialisms", "shareable_summary", "summary",
)
REQUIRED = ("postcode", "urgency", "service_type", "client_group", "hours_per_week", "start_date", "days", "band", "minutes")
MAX_ROWS = 1000
EXAMPLE = {
    "reference": "HCC-2026-0001", "postcode": "SG1 1AA", "urgency": "amber", "service_type": "homecare",
    "client_group": "older_people", "hours_per_week": "10.5", "start_date": "2026-12-01",
    "days": "mon wed fri", "band": "morning", "minutes": "45", "carers": "1", "time_critical": "no",
    "specialisms": "dementia", "shareable_summary": "Help with washing and dressing", "summary": "",
}
TRUE = {"yes", "y", "true", "1"}
FALSE = {"no", "n", "false", "0", ""}


def template() -> str:
    """The downloadable template: the header and one example row."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerow(EXAMPLE)
    return out.getvalue()


def _words(cell: str) -> list[str]:
    return [w for w in cell.replace(";", " ").replace(",", " ").split() if w]


def _number(cell: str) -> Any:
    try:
        value = float(cell)
    except ValueError:
        return cell  # validation names it: "must be a number"
    if not math.isfinite(value):
        return cell  # "inf" and "nan" parse as floats; no package has them
    return int(value) if value == int(value) else value


def parse(text: str) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The package bodies of the rows, and the errors of the file itself (header, size) or
    of cells that are not even the right kind (`rows[N].field`)."""
    if text.startswith("\ufeff"):
        text = text[1:]  # Excel's byte-order mark
    try:
        return _parse(text)
    except csv.Error as exc:  # a cell over the csv module's size limit, a stray quote in strict files
        raise Invalid({"file": f"cannot be read as CSV: {exc}"}, "The file cannot be read as CSV.") from None


def _parse(text: str) -> tuple[list[dict[str, Any]], dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if not header or missing:
        raise Invalid({"file": f"the header row must name the columns; missing: {', '.join(missing) or 'all'}"},
                      "The file's first row must be the template's header.")
    reader.fieldnames = header
    bodies: list[dict[str, Any]] = []
    errors: dict[str, str] = {}
    for n, row in enumerate(reader, start=1):
        if n > MAX_ROWS:
            raise Invalid({"file": f"has more than {MAX_ROWS} rows; split it"})
        cells = {k: (v or "").strip() for k, v in row.items() if k}
        if not any(cells.values()):
            continue  # blank line at the end of a spreadsheet export
        critical = cells.get("time_critical", "").lower()
        if critical not in TRUE | FALSE:
            errors[f"rows[{n}].time_critical"] = "must be yes or no"
        visit = {"days": _words(cells.get("days", "").lower()), "band": cells.get("band", "").lower() or None,
                 "minutes": _number(cells.get("minutes", "")) if cells.get("minutes") else None,
                 "carers": _number(cells.get("carers") or "1"), "time_critical": critical in TRUE}
        body: dict[str, Any] = {
            "postcode": cells.get("postcode") or None, "urgency": cells.get("urgency", "").lower() or None,
            "service_type": cells.get("service_type", "").lower() or None,
            "client_group": cells.get("client_group", "").lower() or None,
            "hours_per_week": _number(cells["hours_per_week"]) if cells.get("hours_per_week") else None,
            "start_date": cells.get("start_date") or None,
            "visits": [visit], "specialisms": _words(cells.get("specialisms", "").lower()),
            "reference": cells.get("reference") or None, "summary": cells.get("summary") or None,
            "shareable_summary": cells.get("shareable_summary") or None, "_row": n,
        }
        bodies.append(body)
    if not bodies and not errors:
        raise Invalid({"file": "has no rows under the header"})
    return bodies, errors


def row_field(row: int, field: str) -> str:
    """A package field's error as the row's cell: visits[0].band -> rows[3].band."""
    if field.startswith("visits[0]."):
        field = field.removeprefix("visits[0].")
    elif field == "visits":
        field = "days"
    return f"rows[{row}].{field}"


__all__ = ["COLUMNS", "MAX_ROWS", "parse", "row_field", "template"]
