"""The purchase order's figures in words: how each visit line is paid, and why the hours paid
for may differ from the hours a week the package states (matcher.order_breakdown has the
figures; this says them for a person reading the order)."""

from __future__ import annotations

from typing import Any

CLOSE = 0.005  # hours are kept to two decimals


def hours(value: float) -> str:
    """7.4 -> '7.4 hours'; 1 -> '1 hour'."""
    return f"{value:g} hour{'' if value == 1 else 's'}"


def hours_minutes(value: float) -> str:
    """6.75 -> '6 hours 45 minutes' (care time reads in minutes, as visits are booked)."""
    whole, minutes = divmod(round(value * 60), 60)
    parts = [f"{whole} hour{'' if whole == 1 else 's'}"] if whole else []
    if minutes or not parts:
        parts.append(f"{minutes} minute{'' if minutes == 1 else 's'}")
    return " ".join(parts)


def band_words(line: dict[str, Any]) -> str:
    """'36 to 50 minute call, paid at 80% of the hourly rate'."""
    band = line.get("call_band")
    if not band:
        return ""
    if band["to_minutes"] is None:
        return f"Call over {band['from_minutes'] - 1} minutes, paid by the minute"
    low = "Up to" if band["from_minutes"] == 0 else f"{band['from_minutes']} to"
    return f"{low} {band['to_minutes']} minute call, paid at {band['paid_fraction'] * 100:g}% of the hourly rate"


def line_words(line: dict[str, Any]) -> list[str]:
    """How one line's weekly cost is made: its care time, then how it is paid."""
    if line.get("paid_fraction") is None:
        return []
    visits, minutes, carers = line["visits_per_week"], line["minutes"], line["carers"]
    care = f"{visits} visit{'' if visits == 1 else 's'} × {minutes} min = {hours_minutes(line['care_minutes'] / 60)} of care a week"
    paid = (f"{band_words(line)}: {line['paid_fraction'] * 60:g} minutes paid a visit{' for each carer' if carers > 1 else ''}, "
            f"{hours(line['paid_hours'])} a week")
    cost = f"{visits} × £{line['cost_per_visit']:.2f} a visit = £{line['weekly_cost']:.2f} a week"
    return [care, paid, cost]


def hours_note(order: dict[str, Any]) -> list[str]:
    """Plain sentences for when the hours paid for differ from the package's stated hours a
    week; empty when they agree (or the order has no visit pattern to explain)."""
    lines, stated, paid, care = order["lines"], float(order["weekly_hours"]), order.get("paid_hours"), order.get("visit_hours")
    if not lines or paid is None or abs(paid - stated) < CLOSE:
        return []
    extra = order.get("unscheduled_hours")
    out = [f"The package states {hours(stated)} a week, but this order pays for {hours(paid)} a week. "
           f"The weekly cost is worked out from the visits{' and the hours a variation changed' if extra else ''}, not from the stated hours."]
    scheduled = stated - (extra["hours"] if extra else 0)
    if care is not None and abs(care - scheduled) >= CLOSE:
        out.append(f"The visits add up to {hours_minutes(care)} of care a week"
                   + (f" (before the {extra['hours']:+g} hours a variation changed without visits)" if extra else "")
                   + f", not the {hours(scheduled)} stated. If the stated hours are what the person needs, "
                   "the visits need changing by a variation.")
    odd = sorted({(line["minutes"], line["paid_fraction"]) for line in lines
                  if abs(line["paid_fraction"] * 60 - line["minutes"]) > 0.01})
    if odd:
        said = [f"a {m}-minute visit is paid as {f * 60:g} minutes ({f * 100:g}% of an hour)" for m, f in odd]
        out.append("The council pays each visit by its call length, not by the minute: "
                   + (", ".join(said[:-1]) + " and " + said[-1] if len(said) > 1 else said[0]) + ".")
    if any(line["carers"] > 1 for line in lines):
        out.append("A visit with two carers is paid for each carer.")
    if extra:
        out.append(f"The {extra['hours']:+g} hours a variation changed without visits are paid at the full hourly rate.")
    return out
