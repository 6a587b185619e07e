"""Typed inputs that only the web boundary needs: sign-in, users and preferences (the
accounts store takes plain values) and the query strings of the list routes. The matcher's
own inputs are in `matcher/inputs.py`."""

from __future__ import annotations

import re
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints, ValidationInfo, field_validator

from accounts import CHANNELS, ROLES
from config import MAX_PASSWORD, MIN_PASSWORD
from core import parse_moment
from matcher import PACKAGE_STATUSES, PHONE_PATTERN, URGENCIES, Email, Id, Input, Invalid, OptionalReason, Query, ReasonInput, no_controls


Channel = Literal[CHANNELS]
ChannelList = Annotated[list[Channel], Field(max_length=len(CHANNELS) * 2), AfterValidator(lambda v: list(dict.fromkeys(v)))]
ClockTime = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$"), Field(examples=["22:00"])]
QueryText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), no_controls("")]


def _known_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not a known time zone") from None
    return name


TimeZone = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_+\-/]+$"),
                     AfterValidator(_known_zone), Field(examples=["Europe/London"])]


class LoginInput(Input):
    email: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=254), no_controls("")]
    password: Annotated[str, StringConstraints(min_length=1, max_length=MAX_PASSWORD)]


class NewUserInput(Input):
    email: Email
    password: Annotated[str, StringConstraints(min_length=MIN_PASSWORD, max_length=MAX_PASSWORD)]
    role: Literal[ROLES]
    provider_id: Id | None = Field(default=None, description="required for, and only for, provider users")


class Channels(Input):
    red: ChannelList = None  # type: ignore[assignment]
    amber: ChannelList = None  # type: ignore[assignment]
    green: ChannelList = None  # type: ignore[assignment]

    model_config = {**Input.model_config, "extra": "forbid"}


class QuietHours(Input):
    start: ClockTime
    end: ClockTime
    tz: TimeZone = "Europe/London"


PHONE_HELP = "Enter the mobile number in international format, starting with + and the country code, like +447700900123"


def _phone(value: object) -> object:
    # The contract: "Phone in E.164 (+447700900123) else 422". The settings page turns the UK
    # forms people type (07700 900123, +44 7700 900123, ...) into E.164 before it sends them.
    # Nothing is trimmed: a newline or tab around the number is not E.164 either.
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not E164.fullmatch(value):
        raise ValueError(PHONE_HELP)
    return value


E164 = re.compile(PHONE_PATTERN)
E164Phone = Annotated[str, BeforeValidator(_phone), Field(examples=["+447700900123"], description="E.164")]


class PreferencesInput(Input):
    """Only the fields sent change; `null` clears phone, email or quiet hours."""

    phone: E164Phone | None = None
    email: Email | None = None
    channels: Channels = None  # type: ignore[assignment]
    quiet_hours: QuietHours | None = None

    def changes(self) -> dict[str, object]:
        out: dict[str, object] = {}
        for name in self.model_fields_set:
            value = getattr(self, name)
            if name == "channels":
                value = value.model_dump(include=value.model_fields_set)
            elif name == "quiet_hours" and value is not None:
                value = value.model_dump()
            out[name] = value
        return out


class PackageQuery(Query):
    """A provider's list takes status, urgency, area and limit; brokers search with the rest
    too (q, posted from/to, awarded provider) and get a page with page or per_page."""

    status: Literal[PACKAGE_STATUSES] | Literal[""] = ""
    urgency: Literal[URGENCIES] | Literal[""] = ""
    area: QueryText = ""
    limit: Annotated[int, Field(ge=1, le=5000)] = 500
    q: QueryText = Field(default="", description="brokers: council reference, postcode or district")
    from_: QueryText = Field(default="", alias="from", description="brokers: posted on or after (ISO date or datetime)")
    to: QueryText = Field(default="", description="brokers: posted on or before (ISO date or datetime)")
    provider_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{0,64}$")] = Field(
        default="", description="brokers: the provider awarded")
    page: Annotated[int, Field(ge=1, le=1_000_000)] = 1
    per_page: Annotated[int, Field(ge=1, le=5000)] | None = None


class DeadlineInput(ReasonInput):
    """`POST /api/packages/{id}/deadline`: the new deadline and why (`reason`)."""

    deadline: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40), no_controls(""),
                        Field(examples=["2026-11-30T17:00:00Z"])]


class AvailabilityQuery(Query):
    district: QueryText = ""


class NotificationQuery(Query):
    package_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


class ReportQuery(Query):
    from_: QueryText = Field(default="", alias="from")
    to: QueryText = ""
    format: Literal["json", "csv"] = "json"


class PurchaseOrderQuery(Query):
    version: Annotated[int, Field(ge=1, le=100_000)] | None = None
    format: Literal["json", "csv"] = "json"


class OutboxQuery(Query):
    format: Literal["json", "html", ""] = ""




# -- the back office --------------------------------------------------------------------------

Page = Annotated[int, Field(ge=1, le=1_000_000)]
PerPage = Annotated[int, Field(ge=1, le=200)]


class AuditQuery(Query):
    """`GET /api/audit`: `action` is exact, or a prefix ending in "." (`provider.`); `from`/`to`
    are dates or date-times (a bare `to` date includes that whole day)."""

    action: QueryText = ""
    target_id: QueryText = ""
    actor: QueryText = Field(default="", description="an actor's id or email")
    q: QueryText = Field(default="", description="words in the target's name, its id or the reason")
    from_: QueryText = Field(default="", alias="from")
    to: QueryText = ""
    format: Literal["json", "csv", ""] = ""
    page: Page = 1
    per_page: PerPage = 50

    @field_validator("from_", "to")
    @classmethod
    def _moment(cls, value: str, info: ValidationInfo) -> str:
        # Checked here so a bad date is reported with every other bad field at once.
        if value:
            parse_moment(value, day_end=info.field_name == "to")
        return value


class UserQuery(Query):
    q: QueryText = Field(default="", description="part of the email")
    role: Literal[ROLES] | Literal[""] = ""
    provider_id: QueryText = ""
    page: Page = 1
    per_page: PerPage = 50


class ReasonNote(Input):
    """An optional reason, kept in the audit trail."""

    reason: OptionalReason = None


def moment_bounds(start: str, end: str) -> dict[str, float | None]:
    """A query's `from`/`to` (a day or a moment) as epoch bounds, the day `to` names included
    whole; Invalid names each one that is not a date."""
    errors: dict[str, str] = {}
    bounds: dict[str, float | None] = {"from": None, "to": None}
    for name, raw, day_end in (("from", start, False), ("to", end, True)):
        if raw:
            try:
                bounds[name] = parse_moment(raw, day_end=day_end)
            except ValueError as exc:
                errors[name] = str(exc)
    if errors:
        raise Invalid(errors)
    return bounds
