"""Time as the contract writes it: ISO 8601 UTC instants, and moments given by clients as an
ISO date or datetime (availability's valid_until, reports' from/to), one parser so both read
"2026-11-30" the same way."""

from __future__ import annotations

import re
from datetime import date, datetime, timezone

DAY_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
# The moments a client may name. Before 1970 an epoch is negative (no stream id, no Redis
# score the audit trail can seek to); from 9999 on, a day's end or a zone's offset steps past
# what `iso` can write. Nothing the service records lies outside these years.
EARLIEST_YEAR, LATEST_YEAR = 1970, 9998
_EARLIEST = datetime(EARLIEST_YEAR, 1, 1, tzinfo=timezone.utc).timestamp()
_LATEST = datetime(LATEST_YEAR + 1, 1, 1, tzinfo=timezone.utc).timestamp()
OUT_OF_RANGE = f"must be between {EARLIEST_YEAR} and {LATEST_YEAR}"


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def parse_moment(value: object, *, day_end: bool) -> float:
    """Epoch seconds for an ISO date or datetime; raises ValueError naming the problem.

    A bare date means the start of that day (UTC), or with `day_end` the end of it, so
    "valid until 2026-11-30" and "to=2026-11-30" both include the whole of the 30th.
    A datetime without a zone is read as UTC, as every time in the contract is UTC.
    Years outside EARLIEST_YEAR..LATEST_YEAR are refused (ValueError), never an OverflowError.
    """
    value = _parse_moment(value, day_end=day_end)
    if not _EARLIEST <= value <= _LATEST:  # the end of 9998-12-31 is the first moment of 9999
        raise ValueError(OUT_OF_RANGE)
    return value


def _parse_moment(value: object, *, day_end: bool) -> float:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be an ISO date (YYYY-MM-DD) or datetime (YYYY-MM-DDTHH:MM:SSZ)")
    text = value.strip()
    if DAY_RE.fullmatch(text):
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise ValueError("is not a real date") from None
        start = datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp()
        # Seconds, not a timedelta: the day after 9999-12-31 is no date at all.
        return start + 86400 if day_end else start
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError("must be an ISO date (YYYY-MM-DD) or datetime (YYYY-MM-DDTHH:MM:SSZ)") from None
    if "T" not in text.upper() and " " not in text:
        raise ValueError("must be an ISO date (YYYY-MM-DD) or datetime (YYYY-MM-DDTHH:MM:SSZ)")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()
