"""The summary report, computed from the audit trail of the packages posted in a range.

Reading the trail rather than the current records means a figure can always be traced to
the events behind it, and a package's later history (an award after a second wave, a
hand-back) counts the way it happened.

Definitions (documented in docs/framework.md):
- posted: packages whose posting time is in [from, to].
- awarded / unplaced: those of them that have a package.awarded / package.unplaced event.
- awarded_within_deadline_pct: share of the awarded ones awarded no later than their first
  deadline (posting time + the urgency's window), i.e. placed within the urgency's target
  however many waves it took; null when nothing was awarded.
- median_seconds_to_award: per urgency, median of award time - posting time; null if none.
- offers_per_package: offers submitted (withdrawn ones too) / packages posted.
- unplaced_by_district: unplaced packages per postcode district (unmet need).
- provider_response_rate: per provider, % of the packages it was matched to that it
  offered on or declined (an offer later withdrawn still counts as a response). A package
  still open to it that it has not answered counts as not answered, as the contract's rate
  reads; the provider's own figures (`figures_of`) also count those as `waiting`, so the
  pages can say they may yet be answered. A package's window closes for a provider when the
  package leaves `live` (awaiting award, awarded, unplaced, withdrawn) or when the deadline
  of the wave that matched it passes (as extended; a later wave, even one released early,
  does not cut it short).
- awarded_hours_by_provider: per provider, sum of hours_per_week of the packages awarded
  to it (a package later handed back still counts: the award happened).
- variations: counts of variations proposed, accepted (auto_accepted of them by the flex)
  and declined; median_seconds_variation_turnaround: median of decision time - proposal
  time over decided variations (an automatic acceptance counts as 0 s); null if none.
"""

from __future__ import annotations

import csv
import io
import statistics
import time
from dataclasses import dataclass, field
from typing import Any, Mapping

from redis.asyncio import Redis

from config import keys
from core import Event, iso, parse_iso, parse_moment, spreadsheet_row
from matcher.errors import Invalid
from matcher.model import URGENCIES

DEFAULT_DAYS = 30
PAGE = 200
# Events after which no matched provider can answer a package any more.
WINDOW_CLOSERS = frozenset({"package.awaiting_award", "package.awarded", "package.unplaced", "package.withdrawn", "package.handed_back"})


@dataclass(frozen=True)
class Range:
    start: float
    end: float  # inclusive

    @classmethod
    def last_days(cls, days: int, now: float | None = None) -> Range:
        end = time.time() if now is None else now
        return cls(end - days * 86400, end)


def parse_range(query: Mapping[str, str], now: float | None = None) -> Range:
    """from/to as ISO dates or datetimes; a date `to` includes that whole day.
    Default: the last 30 days."""
    now = time.time() if now is None else now
    errors: dict[str, str] = {}
    bounds: dict[str, float] = {}
    for name, day_end in (("from", False), ("to", True)):
        raw = query.get(name)
        if raw is None or raw == "":
            continue
        try:
            value = parse_moment(raw, day_end=day_end)
        except ValueError as exc:
            errors[name] = str(exc)
            continue
        # A date `to` means up to the end of that day; the next midnight itself is excluded.
        bounds[name] = value - 0.001 if day_end and len(raw.strip()) == 10 else value
    if errors:
        raise Invalid(errors)
    end = bounds.get("to", now)
    start = bounds.get("from", end - DEFAULT_DAYS * 86400)
    if start > end:
        raise Invalid({"from": "must not be after to"})
    return Range(start, end)


@dataclass
class _Tally:
    posted: int = 0
    awarded: int = 0
    unplaced: int = 0
    within_deadline: int = 0
    offers: int = 0
    seconds_to_award: dict[str, list[float]] = field(default_factory=lambda: {u: [] for u in URGENCIES})
    unplaced_by_district: dict[str, int] = field(default_factory=dict)
    now: float = field(default_factory=time.time)
    matched: dict[str, int] = field(default_factory=dict)  # packages counted: answered, or window closed
    responded: dict[str, int] = field(default_factory=dict)
    waiting: dict[str, int] = field(default_factory=dict)  # still open to it and not answered: not counted
    hours: dict[str, float] = field(default_factory=dict)
    # Per provider: offers submitted (withdrawn ones too) and awards won, for its own figures.
    offers_by: dict[str, int] = field(default_factory=dict)
    awards_by: dict[str, int] = field(default_factory=dict)
    variations: dict[str, int] = field(default_factory=lambda: {"proposed": 0, "accepted": 0, "auto_accepted": 0, "declined": 0})
    turnaround: list[float] = field(default_factory=list)

    def add(self, history: list[Event]) -> None:
        posted = next((e for e in history if e.type == "package.posted"), None)
        if posted is None:
            return  # not a package this report can speak for
        package = posted.data.get("package", {})
        posted_at = parse_iso(posted.at)
        self.posted += 1
        matched: set[str] = set()
        responded: set[str] = set()
        award: Event | None = None
        proposed_at: dict[str, float] = {}
        # Response windows: each wave's deadline (as extended), and the wave each provider was matched in.
        first = package.get("deadline")
        wave_deadline: list[float | None] = [parse_iso(first) if first else None]
        wave_of: dict[str, int] = {}
        closed = False
        for event in history:
            closed = closed or event.type in WINDOW_CLOSERS
            if event.type == "package.matched":
                matched.add(event.data.get("provider_id", ""))
                wave_of.setdefault(event.data.get("provider_id", ""), len(wave_deadline) - 1)
            elif event.type == "deadline.extended" and event.data.get("deadline"):
                wave_deadline[-1] = parse_iso(event.data["deadline"])
            elif event.type == "package.wave_released":
                wave_deadline.append(parse_iso(event.data["deadline"]) if event.data.get("deadline") else None)
            elif event.type == "offer.submitted":
                self.offers += 1
                offerer = event.data.get("offer", {}).get("provider_id", "")
                responded.add(offerer)
                self.offers_by[offerer] = self.offers_by.get(offerer, 0) + 1
            elif event.type == "package.declined":
                responded.add(event.data.get("provider_id", ""))
            elif event.type == "package.awarded" and award is None:
                award = event
            elif event.type == "variation.proposed":
                self.variations["proposed"] += 1
                proposed_at[event.data.get("variation", {}).get("id", "")] = parse_iso(event.at)
            elif event.type in ("variation.accepted", "variation.declined"):
                outcome = "accepted" if event.type == "variation.accepted" else "declined"
                self.variations[outcome] += 1
                if event.data.get("auto"):
                    self.variations["auto_accepted"] += 1
                started = proposed_at.get(event.data.get("variation_id", ""))
                if started is not None:
                    self.turnaround.append(max(0.0, parse_iso(event.at) - started))
            elif event.type == "package.unplaced":
                self.unplaced += 1
                district = package.get("district") or "unknown"
                self.unplaced_by_district[district] = self.unplaced_by_district.get(district, 0) + 1
        for provider_id in matched:
            deadline = wave_deadline[wave_of.get(provider_id, 0)]
            if provider_id in responded:
                self.responded[provider_id] = self.responded.get(provider_id, 0) + 1
            elif not (closed or (deadline is not None and self.now > deadline)):
                # Counted as not answered (the contract's plain rate), and told apart so a
                # page can say it may yet be answered.
                self.waiting[provider_id] = self.waiting.get(provider_id, 0) + 1
            self.matched[provider_id] = self.matched.get(provider_id, 0) + 1
        if award is not None:
            self._add_award(award, package, posted_at)

    def _add_award(self, award: Event, package: dict[str, Any], posted_at: float) -> None:
        self.awarded += 1
        awarded_at = parse_iso(award.at)
        first_deadline = package.get("deadline")
        if first_deadline and awarded_at <= parse_iso(first_deadline):
            self.within_deadline += 1
        urgency = package.get("urgency")
        if urgency in self.seconds_to_award:
            self.seconds_to_award[urgency].append(awarded_at - posted_at)
        provider_id = award.data.get("provider_id", "")
        self.hours[provider_id] = self.hours.get(provider_id, 0.0) + float(package.get("hours_per_week") or 0)
        self.awards_by[provider_id] = self.awards_by.get(provider_id, 0) + 1

    def figures_of(self, provider_id: str, span: Range) -> dict[str, Any]:
        """One provider's own figures, by the same definitions as `summary` (its response rate
        and hours are exactly the summary's provider_response_rate and awarded_hours_by_provider
        entries when the tally saw every package of the range it was matched to)."""
        whole = self.summary(span)
        offers, awards = self.offers_by.get(provider_id, 0), self.awards_by.get(provider_id, 0)
        counted = self.matched.get(provider_id, 0)
        waiting = self.waiting.get(provider_id, 0)
        return {
            "from": whole["from"], "to": whole["to"], "matched": counted, "counted": counted, "waiting": waiting,
            "responded": self.responded.get(provider_id, 0),
            "response_rate": whole["provider_response_rate"].get(provider_id),
            "offers": offers, "awards": awards, "win_rate": _pct(awards, offers),
            "hours_won": whole["awarded_hours_by_provider"].get(provider_id, 0.0),
        }

    def summary(self, span: Range) -> dict[str, Any]:
        return {
            "from": iso(span.start), "to": iso(span.end),
            "posted": self.posted, "awarded": self.awarded, "unplaced": self.unplaced,
            "awarded_within_deadline_pct": _pct(self.within_deadline, self.awarded),
            "median_seconds_to_award": {
                u: round(statistics.median(s), 1) if s else None for u, s in self.seconds_to_award.items()
            },
            "offers_per_package": round(self.offers / self.posted, 2) if self.posted else None,
            "unplaced_by_district": dict(sorted(self.unplaced_by_district.items())),
            "provider_response_rate": {
                pid: _pct(self.responded.get(pid, 0), n) for pid, n in sorted(self.matched.items())
            },
            "awarded_hours_by_provider": {pid: round(h, 2) for pid, h in sorted(self.hours.items())},
            "variations": dict(self.variations),
            "median_seconds_variation_turnaround": round(statistics.median(self.turnaround), 1) if self.turnaround else None,
        }


def summarise(histories: list[list[Event]], span: Range) -> dict[str, Any]:
    tally = _Tally()
    for history in histories:
        tally.add(history)
    return tally.summary(span)


class Reports:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def summary(self, span: Range) -> dict[str, Any]:
        ids = await self.redis.zrangebyscore(keys.PACKAGES, span.start, span.end)
        return (await self._tally(ids)).summary(span)

    async def response_rate(self, provider_id: str, span: Range) -> float | None:
        """The provider's figure in `summary(span)["provider_response_rate"]` (None when it was
        matched to nothing posted in the span that can be counted yet)."""
        return (await self.response_figures(provider_id, span))["response_rate"]

    async def response_figures(self, provider_id: str, span: Range) -> dict[str, Any]:
        """The provider's own figures (`figures_of`: response_rate, counted, responded, waiting,
        ...), tallied the same way as the summary from only the packages it was matched to:
        every package.matched event also adds the package to its index."""
        matched = await self.redis.zrange(keys.provider_packages(provider_id), 0, -1)
        async with self.redis.pipeline(transaction=False) as pipe:
            for package_id in matched:
                pipe.zscore(keys.PACKAGES, package_id)
            posted = await pipe.execute() if matched else []
        ids = [i for i, at in zip(matched, posted, strict=True) if at is not None and span.start <= at <= span.end]
        return (await self._tally(ids)).figures_of(provider_id, span)

    async def provider_figures(self, provider_id: str, package_ids: list[str], span: Range) -> dict[str, Any]:
        """A provider's own figures over `package_ids`: the packages posted in `span` it was
        matched to (matcher.team.TeamBook.matched_in)."""
        return (await self._tally(package_ids)).figures_of(provider_id, span)

    async def _tally(self, ids: list[str]) -> _Tally:
        tally = _Tally()
        for start in range(0, len(ids), PAGE):
            async with self.redis.pipeline(transaction=False) as pipe:
                for package_id in ids[start:start + PAGE]:
                    pipe.xrange(keys.package_history(package_id))
                pages = await pipe.execute()
            for entries in pages:
                tally.add([Event.from_entry(entry_id, raw) for entry_id, raw in entries])
        return tally


def to_csv(summary: dict[str, Any]) -> str:
    """One row per figure: metric,key,value (key empty for single figures, the urgency,
    district or provider id for breakdowns; an empty value means no data)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["metric", "key", "value"])
    # Provider names are typed by people: written so a spreadsheet never runs one (core.cells).
    for metric, value in summary.items():
        if isinstance(value, dict):
            for key, item in value.items():
                writer.writerow(spreadsheet_row([metric, key, _cell(item)]))
        else:
            writer.writerow(spreadsheet_row([metric, "", _cell(value)]))
    return out.getvalue()


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _cell(value: Any) -> str:
    return "" if value is None else str(value)
