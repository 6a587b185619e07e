"""The building blocks of typed inputs: what a string, an id, a date or a list may be once it
has crossed the web boundary.

Inputs are pydantic v2 models (see `matcher/inputs.py`). The web layer parses every JSON
body straight from bytes into them (`Model.model_validate_json`), so the domain only ever
receives values of the declared types: strings are valid UTF-8 without lone surrogates
(pydantic's JSON parser refuses them) and without control characters; lists are lists, not
null; numbers are finite; sizes are bounded here and nesting by the parser. The same models
produce the JSON Schema in `/openapi.json`, so the documentation cannot drift from the check.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ValidationError, BeforeValidator, ConfigDict, Field, StringConstraints

from core import ID_PATTERN

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
PHONE_PATTERN = r"^\+[1-9][0-9]{7,14}$"  # ASCII digits: \d would take full-width ones
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
MAX_TEXT = 2000
MAX_LIST = 100


class Input(BaseModel):
    """Base of every typed input: strict types (no "10" for 10, no 1 for true), finite
    numbers, surrounding whitespace dropped; unknown keys are ignored as they always were."""

    model_config = ConfigDict(strict=True, allow_inf_nan=False, str_strip_whitespace=True, extra="ignore",
                              frozen=True, hide_input_in_errors=True)


class Query(BaseModel):
    """Base of query-string inputs: every value arrives as text, so numbers are read from it."""

    model_config = ConfigDict(strict=False, allow_inf_nan=False, str_strip_whitespace=True, extra="ignore",
                              frozen=True, hide_input_in_errors=True)


# Bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069): text that
# displays in another order than it reads ("Trojan Source"), so a reference, a provider's
# name or a reason could show a broker something else than what is stored and searched.
# The marks a right-to-left writer does type (U+200E, U+200F, U+061C) stay allowed.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def no_controls(keep: str) -> Any:
    def check(value: str) -> str:
        for char in value:
            kind = unicodedata.category(char)
            if kind == "Cs" or (kind == "Cc" and char not in keep):
                raise ValueError("must not contain control characters" + (" other than newline and tab" if keep else ""))
            if char in BIDI_CONTROLS:
                raise ValueError("must not contain characters that change the direction of the text")
        return value
    return AfterValidator(check)


def _real_date(value: str) -> str:
    try:
        date.fromisoformat(value)
    except ValueError:
        raise ValueError("is not a real date") from None
    return value


def _lower(value: str) -> str:
    return value.lower()


# A line of text (names, references, ids given by clients): no control characters at all.
Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), no_controls("")]
# Free text a person writes (reasons, notes, summaries): newlines and tabs allowed.
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TEXT), no_controls("\n\t")]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), no_controls("\n\t")]
Id = Annotated[str, StringConstraints(pattern=ID_PATTERN), Field(examples=["pkg_0192a3b4c5d6e7f8a9b0"])]
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254, pattern=EMAIL_PATTERN),
                  AfterValidator(_lower), Field(json_schema_extra={"format": "email"})]
Phone = Annotated[str, StringConstraints(strip_whitespace=False, pattern=PHONE_PATTERN), Field(examples=["+447700900123"])]
Day = Annotated[str, StringConstraints(pattern=DATE_PATTERN), AfterValidator(_real_date),
                Field(json_schema_extra={"format": "date"}, examples=["2026-11-23"])]
# A date or a date-time, read by `when.parse_moment` in the domain.
Moment = Annotated[str, StringConstraints(min_length=10, max_length=40), no_controls(""),
                   Field(examples=["2026-11-30", "2026-11-30T18:00:00Z"])]
Carers = Annotated[int, Field(ge=1, le=2)]


def _unique(values: list[Any]) -> list[Any]:
    return list(dict.fromkeys(values))


def listed(item: Any, *, min_length: int = 0, max_length: int = MAX_LIST) -> Any:
    """A bounded JSON array of `item`, duplicates dropped in first-seen order."""
    return Annotated[list[item], Field(min_length=min_length, max_length=max_length), AfterValidator(_unique)]


def text_or_null(value: Any) -> Any:
    """Optional free text: an empty string means "none", like an omitted field."""
    if isinstance(value, str) and not value.strip():
        return None
    return value


OptionalText = Annotated[Text | None, BeforeValidator(text_or_null)]
OptionalReason = Annotated[Reason | None, BeforeValidator(text_or_null)]


# -- errors as field names ------------------------------------------------------------------

def field_errors(exc: ValidationError, model: type[BaseModel]) -> dict[str, str]:
    """Every field at fault with what is wrong ("visits[0].band" for a model's ITEMISED fields),
    as web reports a body's errors and bulk import reports a row's."""
    itemised: frozenset[str] = getattr(model, "ITEMISED", frozenset())
    fields: dict[str, str] = {}
    for error in exc.errors(include_url=False, include_input=False):
        loc = error["loc"]
        name, rest = _name(loc, itemised)
        fields.setdefault(name, (f"{_path(rest)}: " if rest else "") + _message(error))
    return fields


def _name(loc: tuple[Any, ...], itemised: frozenset[str]) -> tuple[str, tuple[Any, ...]]:
    if not loc:
        return "body", ()
    head = str(loc[0])
    if head in itemised and len(loc) >= 3 and isinstance(loc[1], int):
        return f"{head}[{loc[1]}].{loc[2]}", loc[3:]
    return head, loc[1:]


def _path(rest: tuple[Any, ...]) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in rest).lstrip(".")


MESSAGES = {
    "missing": "is required",
    "extra_forbidden": "is not a field you can set",
    "model_type": "must be a JSON object",
    "model_attributes_type": "must be a JSON object",
    "dict_type": "must be a JSON object",
    "list_type": "must be a list",
    "string_type": "must be a string",
    "bool_type": "must be true or false",
    "int_type": "must be a whole number",
    "float_type": "must be a number",
    "finite_number": "must be a finite number",
}


def _message(error: Any) -> str:
    if error["type"] in MESSAGES:
        return MESSAGES[error["type"]]
    # Shown on pages as written: plain words rather than pydantic's regexes and counts.
    ctx = error.get("ctx") or {}
    if error["type"] == "string_too_short":
        least = ctx.get("min_length", 1)
        return "must not be empty" if least == 1 else f"must be at least {least} characters"
    if error["type"] == "too_short":
        least = ctx.get("min_length", 1)
        return "must include at least one" if least == 1 else f"must include at least {least}"
    if error["type"] == "too_long":
        return f"must include at most {ctx.get('max_length')}"
    if error["type"] == "string_pattern_mismatch":
        return "must be a date like 2026-11-23" if ctx.get("pattern") == DATE_PATTERN else "is not in the expected format"
    message = str(error["msg"])
    return message.removeprefix("Value error, ")
