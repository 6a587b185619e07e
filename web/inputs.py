"""Typed inputs that only the web boundary needs: sign-in, users and preferences (the
accounts store takes plain values) and the query strings of the list routes. The matcher's
own inputs are in `matcher/inputs.py`."""

from __future__ import annotations

from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field, StringConstraints

from accounts import CHANNELS, ROLES
from config import MAX_PASSWORD, MIN_PASSWORD
from matcher import PACKAGE_STATUSES, URGENCIES, Email, Id, Input, Phone, Query, no_controls


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


class PreferencesInput(Input):
    """Only the fields sent change; `null` clears phone, email or quiet hours."""

    phone: Phone | None = None
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
    status: Literal[PACKAGE_STATUSES] | Literal[""] = ""
    urgency: Literal[URGENCIES] | Literal[""] = ""
    area: QueryText = ""
    limit: Annotated[int, Field(ge=1, le=5000)] = 500


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


