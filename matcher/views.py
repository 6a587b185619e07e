"""What each reader may see of a package. Before award a provider sees no postcode, no
free text the broker did not mark shareable, and no council reference."""

from __future__ import annotations

from typing import Any

from matcher.model import Match, Package

PROVIDER_FIELDS = (
    "id", "status", "urgency", "service_type", "client_group", "hours_per_week", "start_date",
    "visits", "specialisms", "district", "sector", "area", "posted_at", "deadline", "wave",
    "shareable_summary", "previous_hand_backs",
)
PRIVATE_FIELDS = ("easting", "northing")


def broker_view(package: Package) -> dict[str, Any]:
    view = package.to_dict()
    for name in PRIVATE_FIELDS:
        view.pop(name, None)
    return view


def provider_view(package: Package, match: Match | None, round_fit: dict[str, Any] | None = None) -> dict[str, Any]:
    """The one redacted view (REST, lists, `package.matched`). `round_fit` is measured from
    the sector centroid (matcher/rounds.py), so it locates the package no finer than `sector`."""
    view = {name: getattr(package, name) for name in PROVIDER_FIELDS}
    view["distance_km"] = match.distance_km if match else None
    view["matched_availability"] = match.matched_availability if match else False
    view["round_fit"] = round_fit if package.status in ("live", "awaiting_award") else None
    if package.status not in ("live", "awaiting_award"):
        view["closed_reason"] = package.closed_reason
    return view


def matched_data(provider_id: str, view: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A `package.matched` event's data. The contract writes it "package.matched (redacted
    package)" as it writes "package.closed ({package_id, reason})": the data is the redacted
    view itself, with `package_id` and `provider_id` beside it; the same view stays under
    `package`, where the pages and earlier clients read it."""
    return {**view, "package_id": view["id"], "provider_id": provider_id, "package": view, **extra}


def offer_summary(package: Package) -> dict[str, Any]:
    """A package beside a provider's own offer: what any matched provider may see."""
    return {"id": package.id, "status": package.status, "urgency": package.urgency, "district": package.district,
            "sector": package.sector, "hours_per_week": package.hours_per_week, "start_date": package.start_date}


def awarded_view(package: Package, match: Match | None, round_fit: dict[str, Any] | None = None) -> dict[str, Any]:
    """The winner needs the address to start care."""
    view = {**broker_view(package), **provider_view(package, match, round_fit), **_full_only(package)}
    # Which other providers the service user ruled out, and why, stays with the council.
    for name in ("excluded_providers", "excluded_reason"):
        view.pop(name, None)
    return view


def _full_only(package: Package) -> dict[str, Any]:
    return {"postcode": package.postcode, "summary": package.summary, "reference": package.reference}
