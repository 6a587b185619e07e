"""Turning request bodies into clean values, collecting every field error at once so the
client hears about all of them in one 422."""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Any, Iterable

from matcher.errors import Invalid

# fullmatch with ASCII digits: `$` would let a trailing newline through, `\d` full-width digits.
EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
PHONE_RE = re.compile(r"\+[1-9][0-9]{7,14}")
MAX_TEXT = 2000


class FieldErrors:
    """Collects field errors; `raise_if_any` ends the check with one Invalid."""

    def __init__(self, body: Any) -> None:
        if not isinstance(body, dict):
            raise Invalid({"body": "must be a JSON object"})
        self.body: dict[str, Any] = body
        self.errors: dict[str, str] = {}

    def add(self, name: str, problem: str) -> None:
        self.errors.setdefault(name, problem)

    def raise_if_any(self) -> None:
        if self.errors:
            raise Invalid(self.errors)

    def present(self, name: str) -> bool:
        return name in self.body and self.body[name] is not None

    def required(self, name: str) -> Any:
        if not self.present(name):
            self.add(name, "is required")
            return None
        return self.body[name]

    def text(self, name: str, *, required: bool = True, max_len: int = MAX_TEXT) -> str | None:
        value = self.required(name) if required else self.body.get(name)
        if value is None:
            return None
        if not isinstance(value, str) or (required and not value.strip()):
            self.add(name, "must be a non-empty string")
            return None
        if len(value) > max_len:
            self.add(name, f"must be at most {max_len} characters")
            return None
        return value.strip()

    def choice(self, name: str, options: Iterable[str], *, required: bool = True) -> str | None:
        value = self.required(name) if required else self.body.get(name)
        if value is None:
            return None
        options = tuple(options)
        if value not in options:
            self.add(name, f"must be one of: {', '.join(options)}")
            return None
        return str(value)

    def choices(self, name: str, options: Iterable[str], *, required: bool = True, non_empty: bool = False) -> list[str] | None:
        value = self.required(name) if required else self.body.get(name, [])
        if value is None:
            return None
        return check_choices(self, name, value, options, non_empty=non_empty)

    def number(self, name: str, *, low: float, high: float, low_open: bool = False, required: bool = True) -> float | None:
        value = self.required(name) if required else self.body.get(name)
        if value is None:
            return None
        return check_number(self, name, value, low=low, high=high, low_open=low_open)

    def boolean(self, name: str, *, required: bool = True, default: bool = False) -> bool | None:
        value = self.required(name) if required else self.body.get(name, default)
        if value is None:
            return None if required else default
        if not isinstance(value, bool):
            self.add(name, "must be true or false")
            return None
        return value

    def day(self, name: str, *, required: bool = True) -> str | None:
        value = self.required(name) if required else self.body.get(name)
        if value is None:
            return None
        return check_date(self, name, value)

    def email(self, name: str, *, required: bool = True) -> str | None:
        value = self.text(name, required=required, max_len=254)
        if value is not None and not EMAIL_RE.fullmatch(value):
            self.add(name, "must be an email address")
            return None
        return value.lower() if value else value

    def phone(self, name: str, *, required: bool = False) -> str | None:
        value = self.required(name) if required else self.body.get(name)
        if value is None:
            return None
        if not isinstance(value, str) or not PHONE_RE.fullmatch(value):
            self.add(name, "must be a phone number in E.164 form, like +447700900123")
            return None
        return value


def check_choices(errors: FieldErrors, name: str, value: Any, options: Iterable[str], *, non_empty: bool = False) -> list[str] | None:
    options = tuple(options)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors.add(name, "must be a list of strings")
        return None
    unknown = [v for v in value if v not in options]
    if unknown:
        errors.add(name, f"unknown value {unknown[0]!r}; expected any of: {', '.join(options)}")
        return None
    if non_empty and not value:
        errors.add(name, "must not be empty")
        return None
    return sorted(set(value), key=options.index)


def check_number(errors: FieldErrors, name: str, value: Any, *, low: float, high: float, low_open: bool = False) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        errors.add(name, "must be a number")
        return None
    too_low = value <= low if low_open else value < low
    if too_low or value > high:
        bracket = "(" if low_open else "["
        errors.add(name, f"must be in {bracket}{low:g}, {high:g}]")
        return None
    return float(value)


def check_date(errors: FieldErrors, name: str, value: Any) -> str | None:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        errors.add(name, "must be a date YYYY-MM-DD")
        return None
    try:
        date.fromisoformat(value)
    except ValueError:
        errors.add(name, "is not a real date")
        return None
    return value
