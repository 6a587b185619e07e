"""Quiet hours: when a user's quiet period ends, in their own time zone.

Pure functions on aware datetimes. Windows may cross midnight (22:00-07:00) and days may
be 23 or 25 hours long (DST changes): wall times are placed on real days with zoneinfo and
every comparison is made in UTC, because Python compares two datetimes that share a tzinfo
by wall time alone, which is wrong across a clock change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

DEFAULT_TZ = "Europe/London"


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time
    tz: ZoneInfo

    @classmethod
    def from_preferences(cls, raw: dict[str, Any] | None) -> QuietHours | None:
        if not raw or not raw.get("start") or not raw.get("end"):
            return None
        return cls(time.fromisoformat(raw["start"]), time.fromisoformat(raw["end"]), ZoneInfo(raw.get("tz") or DEFAULT_TZ))

    def _at(self, day: date, wall: time) -> datetime:
        # A wall time skipped by a spring-forward change resolves to the offset before it (fold=0).
        return datetime.combine(day, wall, self.tz).astimezone(timezone.utc)

    def ends_after(self, now: datetime) -> datetime | None:
        """The UTC moment the quiet period containing `now` ends; None when `now` is not quiet."""
        if self.start == self.end:
            return None  # an empty window, not a whole-day one
        now_utc = now.astimezone(timezone.utc)
        today = now_utc.astimezone(self.tz).date()
        crosses_midnight = self.start > self.end
        # The period containing `now` began today or, when it crosses midnight, yesterday.
        for begin_day in (today - timedelta(days=1), today):
            begins = self._at(begin_day, self.start)
            ends = self._at(begin_day + timedelta(days=1) if crosses_midnight else begin_day, self.end)
            if begins <= now_utc < ends:
                return ends
        return None


def quiet_until(raw: dict[str, Any] | None, now: datetime) -> datetime | None:
    quiet = QuietHours.from_preferences(raw)
    return quiet.ends_after(now) if quiet else None
