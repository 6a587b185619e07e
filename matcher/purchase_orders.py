"""Purchase orders: issued on award, re-issued as the next version when a variation is accepted.

The arithmetic is pure (`visit_cost`, `order_lines`, `weekly_totals`) so it can be checked
exactly against the council's price schedule: a visit is paid as a fraction of the hourly
rate by its call-duration band (Hertfordshire: under 21 minutes 40 %, 21-35 60 %, 36-50 80 %,
51-60 100 %), longer visits pro rata, times the carers on it. Money is Decimal, rounded half
up to the penny per visit, so a week is exactly the sum of its visits.

Hours changed without a visit pattern. A variation may change only `hours_per_week` (the
contract allows it): nobody has said which calls grow, shrink, appear or go, so the order
must not invent calls or stretch minutes across band edges. It keeps the agreed visit lines
as they are and adds one line, `unscheduled_hours`, for the difference between the hours now
commissioned and the hours the visit pattern was agreed with (`pattern_hours`), at the plain
hourly rate (the 100 % band: no call exists to band): +1 hour at £20.00 is +£20.00 a week,
-0.5 hours is -£10.00. A finance officer can check it by hand, the visit lines still reconcile
with the provider's rota, and the line goes once a variation restates the visits. A reduction
is never worth more than the visits it is taken from, so a week never costs less than nothing.
The hours the pattern stands for are fixed when it is set (the award, or a variation that
gives visits) and carried from version to version.
"""

from __future__ import annotations

import csv
import io
import json
import time
from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Sequence

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from config import keys
from core import Event, EventLog, iso
from matcher.errors import NotFound
from matcher.model import Package
from matcher.order_breakdown import explain

PENNY = Decimal("0.01")
CallBands = Sequence[tuple[int, float]]


def _money(value: Decimal) -> Decimal:
    return value.quantize(PENNY, rounding=ROUND_HALF_UP)


def visit_cost(minutes: int, carers: int, hourly_rate: float, bands: CallBands) -> Decimal:
    """One visit's price: the band's fraction of the hourly rate (pro rata past the last band), times carers."""
    rate = Decimal(str(hourly_rate))
    for longest, fraction in bands:
        if minutes <= longest:
            return _money(rate * Decimal(str(fraction)) * carers)
    return _money(rate * Decimal(minutes) / Decimal(60) * carers)


@dataclass(frozen=True)
class Line:
    days: list[str]
    band: str
    minutes: int
    carers: int
    visits_per_week: int
    cost_per_visit: Decimal
    weekly_cost: Decimal

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["cost_per_visit"], out["weekly_cost"] = float(self.cost_per_visit), float(self.weekly_cost)
        return out


def order_lines(visits: list[dict[str, Any]], hourly_rate: float, bands: CallBands) -> list[Line]:
    lines = []
    for visit in visits:
        per_visit = visit_cost(int(visit["minutes"]), int(visit.get("carers", 1)), hourly_rate, bands)
        count = len(visit["days"])
        lines.append(Line(list(visit["days"]), visit["band"], int(visit["minutes"]), int(visit.get("carers", 1)),
                          count, per_visit, per_visit * count))
    return lines


def weekly_totals(lines: list[Line], hours_per_week: float, hourly_rate: float) -> Decimal:
    """The week's cost: its visits; a package without a visit pattern (live-in) is its hours at the rate."""
    if lines:
        return sum((line.weekly_cost for line in lines), Decimal(0))
    return _money(Decimal(str(hours_per_week)) * Decimal(str(hourly_rate)))


@dataclass(frozen=True)
class UnscheduledHours:
    """Hours commissioned beyond (or taken from) the visit pattern, at the hourly rate."""

    hours: Decimal
    hourly_rate: Decimal
    weekly_cost: Decimal

    def to_dict(self) -> dict[str, Any]:
        return {"hours": float(self.hours), "hourly_rate": float(self.hourly_rate), "weekly_cost": float(self.weekly_cost)}


def unscheduled_hours(lines: list[Line], hours_per_week: float, pattern_hours: float, hourly_rate: float) -> UnscheduledHours | None:
    """The line for hours not in the visit pattern, or None when the pattern is the whole week
    (no difference, or no pattern at all: live-in is priced by its hours already)."""
    hours = Decimal(str(hours_per_week)) - Decimal(str(pattern_hours))
    if not lines or hours == 0:
        return None
    rate = Decimal(str(hourly_rate))
    cost = _money(hours * rate)
    # A reduction takes away at most what the visits cost: never a negative week.
    cost = max(cost, -sum((line.weekly_cost for line in lines), Decimal(0)))
    return UnscheduledHours(hours, rate, cost)


def care_start(package: Package, offered_start: str | None) -> str:
    """The day care begins, and the first order with it: the later of the day the council
    asked for and the day the winning provider offered to start (a provider that can start
    only next week bills from next week; one that could start sooner still starts when asked)."""
    return max(package.start_date, offered_start or package.start_date)


def starts_from(order: dict[str, Any]) -> str:
    """The day care began under an issued order (orders issued before `care_start` existed
    started on their package's start date)."""
    return str(order.get("care_start") or order.get("start_date") or "")


def draft(package: Package, provider_id: str, hourly_rate: float, bands: CallBands, *, number: str, version: int,
          issued_at: str, variation_id: str | None = None, pattern_hours: float | None = None,
          starts: str | None = None, effective_from: str | None = None) -> dict[str, Any]:
    """A purchase order for the package's needs as they stand. `pattern_hours`: the hours the
    visit pattern was agreed with (default: the package's hours, i.e. the pattern is the week).
    `starts`: the day care begins (`care_start`; default the package's start date).
    `effective_from`: a variation's date; no version takes effect before care begins, so a
    change dated earlier applies from that day (the date asked for is kept, `proposed_from`)."""
    begins = starts or package.start_date
    effective = begins if version == 1 or not effective_from else max(effective_from, begins)
    lines = order_lines(package.visits, hourly_rate, bands)
    pattern = package.hours_per_week if pattern_hours is None else pattern_hours
    extra = unscheduled_hours(lines, package.hours_per_week, pattern, hourly_rate)
    total = weekly_totals(lines, package.hours_per_week, hourly_rate) + (extra.weekly_cost if extra else Decimal(0))
    return explain({
        "number": number, "package_id": package.id, "provider_id": provider_id, "hourly_rate": hourly_rate,
        "weekly_hours": package.hours_per_week, "weekly_cost": float(total),
        "lines": [line.to_dict() for line in lines], "version": version, "issued_at": issued_at,
        "start_date": package.start_date, "care_start": begins, "effective_from": effective,
        "proposed_from": effective_from if version > 1 else None,
        "variation_id": variation_id, "pattern_hours": pattern,
        "unscheduled_hours": extra.to_dict() if extra else None,
    }, bands)


def pattern_hours_of(order: dict[str, Any]) -> float:
    """The hours an issued order's visit pattern stands for (orders issued before the field
    existed priced their pattern as the whole week)."""
    value = order.get("pattern_hours")
    return float(order["weekly_hours"] if value is None else value)


def format_number(sequence: int) -> str:
    return f"PO-{sequence:06d}"


class PurchaseOrders:
    def __init__(self, redis: Redis, events: EventLog, bands: CallBands) -> None:
        self.redis = redis
        self.events = events
        self.bands = bands

    async def next_number(self) -> str:
        # Taken before the transaction that issues it: a transaction retried under contention
        # leaves a gap in the sequence, never a duplicate.
        return format_number(int(await self.redis.incr(keys.PURCHASE_ORDER_SEQ)))

    def queue_issue(self, pipe: Pipeline, package: Package, provider_id: str, hourly_rate: float, actor: str, *,
                    number: str, version: int, variation_id: str | None = None, effective_from: str | None = None,
                    pattern_hours: float | None = None, starts: str | None = None) -> dict[str, Any]:
        order = draft(package, provider_id, hourly_rate, self.bands, number=number, version=version,
                      issued_at=iso(time.time()), variation_id=variation_id, pattern_hours=pattern_hours,
                      starts=starts, effective_from=effective_from)
        pipe.rpush(keys.package_purchase_orders(package.id), json.dumps(order))
        self.events.queue(pipe, Event(
            type="purchase_order.issued", actor=actor, package_id=package.id, audience=[provider_id],
            data={"package_id": package.id, "provider_id": provider_id, "number": number, "version": version,
                  "weekly_cost": order["weekly_cost"], "weekly_hours": order["weekly_hours"], "variation_id": variation_id,
                  "effective_from": order["effective_from"]},
        ))
        return order

    async def versions(self, package_id: str) -> list[dict[str, Any]]:
        raws = await self.redis.lrange(keys.package_purchase_orders(package_id), 0, -1)
        return [explain(json.loads(raw), self.bands) for raw in raws]

    async def latest(self, package_id: str) -> dict[str, Any]:
        raw = await self.redis.lindex(keys.package_purchase_orders(package_id), -1)
        if raw is None:
            raise NotFound("This package has no purchase order: it has not been awarded.")
        return explain(json.loads(raw), self.bands)

    @staticmethod
    async def latest_in(pipe: Pipeline, package_id: str) -> dict[str, Any] | None:
        raw = await pipe.lindex(keys.package_purchase_orders(package_id), -1)
        return json.loads(raw) if raw else None


CSV_COLUMNS = ("days", "band", "minutes", "carers", "visits_per_week", "cost_per_visit", "weekly_cost")
# How each line's cost is made (order_breakdown), after the priced columns so those keep their places.
CSV_BREAKDOWN = ("paid_fraction", "care_minutes", "paid_hours")


def order_csv(order: dict[str, Any]) -> str:
    """The order as CSV: a header block, then one row per line of the visit pattern."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for name in ("number", "version", "issued_at", "package_id", "provider_id", "hourly_rate", "weekly_hours", "weekly_cost",
                 "effective_from", "care_start", "visit_hours", "paid_hours"):
        writer.writerow([name, "" if order.get(name) is None else order.get(name)])
    writer.writerow([])
    writer.writerow(CSV_COLUMNS + CSV_BREAKDOWN)
    for line in order["lines"]:
        priced = [" ".join(line["days"]) if k == "days" else (f"{line[k]:.2f}" if k.endswith("cost") or k == "cost_per_visit" else line[k]) for k in CSV_COLUMNS]
        writer.writerow(priced + ["" if line.get(k) is None else f"{line[k]:g}" for k in CSV_BREAKDOWN])
    extra = order.get("unscheduled_hours")
    if extra:
        # Its own row under the visits, so the column of weekly costs still adds up to the total.
        writer.writerow(["hours not in the visit pattern", "", f"{extra['hours']:g} h", "", "", f"{extra['hourly_rate']:.2f}",
                         f"{extra['weekly_cost']:.2f}", "1", "", f"{extra['hours']:g}"])
    return out.getvalue()
