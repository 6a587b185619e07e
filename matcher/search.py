"""Brokers' search over every package: what a query asks and whether a package answers it.

Pure: the store reads the packages, this decides. `q` matches the council reference, the
postcode or the district, ignoring case and spaces, so "sg1 1aa", "SG11AA" and "sg1" all find
a package at SG1 1AA."""

from __future__ import annotations

from dataclasses import dataclass

from core import parse_iso
from matcher.model import Package


@dataclass(frozen=True)
class PackageQuery:
    status: str | None = None
    urgency: str | None = None
    area: str | None = None
    q: str | None = None
    posted_from: float | None = None  # epoch, inclusive
    posted_to: float | None = None  # epoch, exclusive
    provider_id: str | None = None  # the provider awarded the package
    page: int = 1
    per_page: int = 50


def _squash(text: str | None) -> str:
    return "".join((text or "").split()).lower()


def answers(package: Package, query: PackageQuery) -> bool:
    if query.status and package.status != query.status:
        return False
    if query.urgency and package.urgency != query.urgency:
        return False
    if query.area and package.area != query.area:
        return False
    if query.provider_id and package.awarded_provider_id != query.provider_id:
        return False
    if query.posted_from is not None or query.posted_to is not None:
        posted = parse_iso(package.posted_at)
        if query.posted_from is not None and posted < query.posted_from:
            return False
        if query.posted_to is not None and posted >= query.posted_to:
            return False
    if query.q:
        needle = _squash(query.q)
        if needle and not any(needle in _squash(v) for v in (package.reference, package.postcode, package.district)):
            return False
    return True


__all__ = ["PackageQuery", "answers"]
