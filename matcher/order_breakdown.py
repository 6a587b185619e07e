"""How a purchase order's weekly cost is made, in figures a finance officer can check by hand.

The contract's order prices each visit by the council's call-duration band (`CALL_BANDS`):
a 45-minute visit is paid as 80 % of an hour, a 30-minute one as 60 %, so the hours paid for
are not the minutes the carers spend, and neither need equal the hours a week the package
states (a broker may type 14 hours for visits that add up to 6.75). This module adds, beside
the contract's fields and without changing them, each line's band and paid fraction, its
care time and paid hours, and the order's totals of both, so the page (and any client) can
say where the weekly cost comes from and why it differs from the stated hours.

Care time counts a double-up's minutes once (as `variations.hours_of` does: the package's
hours are the person's hours of care); paid hours count every carer (each is paid)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Sequence

CallBands = Sequence[tuple[int, float]]


@dataclass(frozen=True)
class CallBand:
    """The band a visit's length falls in: `from_minutes`-`to_minutes` paid at `paid_fraction`
    of the hourly rate; past the last band (`to_minutes` None) pro rata, minutes / 60."""

    from_minutes: int
    to_minutes: int | None
    paid_fraction: float

    def to_dict(self) -> dict[str, Any]:
        return {"from_minutes": self.from_minutes, "to_minutes": self.to_minutes, "paid_fraction": self.paid_fraction,
                "pro_rata": self.to_minutes is None}


def call_band(minutes: int, bands: CallBands) -> CallBand:
    """The same band `purchase_orders.visit_cost` prices the visit by."""
    lowest = 0
    for longest, fraction in bands:
        if minutes <= longest:
            return CallBand(lowest, longest, float(fraction))
        lowest = longest + 1
    return CallBand(lowest, None, round(minutes / 60, 4))


def _hours(value: Decimal) -> float:
    return float(round(value, 2))


def explain(order: dict[str, Any], bands: CallBands) -> dict[str, Any]:
    """The order with its breakdown added (each line's `call_band`, `paid_fraction`,
    `care_minutes` and `paid_hours`; the order's `visit_hours` and `paid_hours`). An order
    already explained keeps what it was issued with: the bands may have changed since."""
    if order.get("paid_hours") is not None and all("paid_fraction" in line for line in order["lines"]):
        return order
    care, paid = Decimal(0), Decimal(0)
    lines = []
    for line in order["lines"]:
        band = call_band(int(line["minutes"]), bands)
        visits, carers = int(line["visits_per_week"]), int(line["carers"])
        line_paid = Decimal(str(band.paid_fraction)) * visits * carers
        minutes = visits * int(line["minutes"])
        care += Decimal(minutes) / 60
        paid += line_paid
        lines.append({**line, "call_band": band.to_dict(), "paid_fraction": band.paid_fraction,
                      "care_minutes": minutes, "paid_hours": _hours(line_paid)})
    extra = order.get("unscheduled_hours")
    if extra:
        paid += Decimal(str(extra["hours"]))
    if not lines:  # no visit pattern (live-in): the week is its hours at the rate
        care = paid = Decimal(str(order["weekly_hours"]))
    return {**order, "lines": lines, "visit_hours": _hours(care), "paid_hours": _hours(max(paid, Decimal(0)))}
