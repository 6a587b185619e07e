"""Reading the back office's HTML forms and saying what is wrong in plain English.

The pages post ordinary forms; each handler turns one into the same JSON body the API takes
and calls the same domain function, so the pages and the API can never disagree."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo
from typing import Any, TypeVar
from urllib.parse import parse_qs

from pydantic import BaseModel, ValidationError
from starlette.requests import Request

from web.api import invalid

MAX_FORM = 256_000
M = TypeVar("M", bound=BaseModel)
LONDON = ZoneInfo("Europe/London")
UK_PHONE_HINT = "Enter a UK telephone number, like 01632 960 001, 07700 900 982 or +44 808 157 0192"


class Form:
    """A urlencoded form: `one` for a single value, `many` for checkboxes."""

    def __init__(self, values: dict[str, list[str]]) -> None:
        self.values = values

    def one(self, name: str) -> str:
        return (self.values.get(name) or [""])[0].strip()

    def many(self, name: str) -> list[str]:
        return [v for v in self.values.get(name, []) if v]


async def read_form(request: Request) -> Form:
    body = (await request.body())[:MAX_FORM].decode("utf-8", "replace")
    return Form(parse_qs(body, keep_blank_values=True))


def uk_phone(text: str) -> str | None:
    """A UK number in any usual form (07700 900123, +44 (0)7700-900123, 0044 1438 737373) as
    E.164 (+447700900123); None when it is not one."""
    digits = re.sub(r"[\s().\-]", "", text)
    digits = digits.replace("+44(0)", "+44").replace("+440", "+44")
    if digits.startswith("0044"):
        digits = "+44" + digits[4:]
    elif digits.startswith("44") and len(digits) in (11, 12):
        digits = "+" + digits
    elif digits.startswith("0"):
        digits = "+44" + digits[1:]
    if not re.fullmatch(r"\+44[1-9]\d{8,9}", digits):
        return None
    return digits


def districts_of(text: str) -> list[str]:
    return [d.upper() for d in re.split(r"[\s,;]+", text) if d]


def sentence(problem: str) -> str:
    """A domain message ("coverage[0].km: the radius must ...") as a sentence for people."""
    text = re.sub(r"^[\w\[\].]+: ", "", problem.strip())
    # The typed inputs' length limits, in the words the rest of the form uses.
    text = re.sub(r"^String should have at most (\d+) characters?", r"Use \1 characters or fewer", text)
    text = text[:1].upper() + text[1:]
    return text if text.endswith(".") else text + "."


def first_error_field(fields: dict[str, str] | None) -> str:
    return next(iter(fields or {}), "")


def error_list(errors: dict[str, str]) -> list[tuple[str, str]]:
    """(field id, message) in form order for the error summary."""
    return list(errors.items())


def words_for(fields: dict[str, str], plain: dict[str, str]) -> dict[str, str]:
    """Field errors from the domain, in plain English: a field's own wording when the value
    was missing or not one of the choices, else the domain's explanation as a sentence."""
    out: dict[str, str] = {}
    for name, problem in fields.items():
        key = name.split("[")[0].split(".")[0]
        if key in plain and any(w in problem for w in ("required", "must be one of", "should be", "should match pattern", "at least 1 item", "at least 1 character", "non-empty", "empty", "at least one", "must be a list",
                                                  "expected format", "must be a date like")):
            out.setdefault(key, plain[key])
        else:
            out.setdefault(key, sentence(problem))
    return out


def when(text: str | None) -> str:
    """A stored UTC time as people in the UK read it: 23 November 2026, 10:38."""
    if not text:
        return ""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(LONDON)
    except ValueError:
        return text
    return f"{moment.day} {moment:%B %Y}, {moment:%H:%M}"


def body_without_blanks(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if v not in ("", None)}


def typed(model: type[M], body: dict[str, Any]) -> M:
    """The domain's typed input from a form's values; Invalid names each field, as the API does."""
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise invalid(exc, model) from None
