"""What a provider's team has done about each package it was matched to, and how the
package ended for it: the board's "Sam offered £22.00 – waiting for the council" and the
provider's history page.

Only the provider's own records are read back to it: its own offers, its own response,
who in its own team declined. Another provider's offer, price or name never enters a
`TeamState`; an award elsewhere is just "awarded_elsewhere".
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from redis.asyncio import Redis

from config import keys
from core import Event, parse_iso
from matcher.model import Package
from matcher.packages import PackageStore
from matcher.reports import Range

# Before the outcome: unanswered, offered, declined. After it: the rest.
TEAM_STATES = ("unanswered", "offered", "declined", "awarded_to_you", "handed_back", "awarded_elsewhere", "withdrawn", "closed")


@dataclass(frozen=True)
class TeamState:
    package_id: str
    state: str
    # The team member who offered or declined (a user id of this provider), if any.
    by: str | None = None
    # This provider's own offer: its rate and when it was made.
    hourly_rate: float | None = None
    at: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def outcome(package: Package, provider_id: str, offers: list[dict[str, Any]], response: str | None,
            decliner: str | None) -> TeamState:
    """The package's state for one provider, from its own offers and response only."""
    latest = max(offers, key=lambda o: o.get("submitted_at", ""), default=None)
    rate = latest.get("hourly_rate") if latest else None
    made_by, made_at = (latest.get("submitted_by"), latest.get("submitted_at")) if latest else (None, None)
    pid = package.id
    if package.awarded_provider_id == provider_id:
        won = next((o for o in offers if o.get("id") == package.awarded_offer_id), latest)
        state = "handed_back" if package.status == "handed_back" else "awarded_to_you"
        return TeamState(pid, state, won.get("submitted_by") if won else None, won.get("hourly_rate") if won else None,
                         won.get("submitted_at") if won else None)
    if response == "declined":
        return TeamState(pid, "declined", decliner)
    if package.awarded_provider_id:
        return TeamState(pid, "awarded_elsewhere", made_by, rate, made_at)
    if package.status == "withdrawn":
        return TeamState(pid, "withdrawn", made_by, rate, made_at)
    submitted = next((o for o in offers if o.get("status") == "submitted"), None)
    if package.status in ("live", "awaiting_award") and submitted:
        return TeamState(pid, "offered", submitted.get("submitted_by"), submitted.get("hourly_rate"), submitted.get("submitted_at"))
    if package.status == "live":
        return TeamState(pid, "unanswered")
    return TeamState(pid, "closed", made_by, rate, made_at)  # unplaced at its deadline, or closed to offers unanswered


class TeamBook:
    """Reads a provider's team states and history; writes nothing."""

    def __init__(self, redis: Redis, packages: PackageStore) -> None:
        self.redis = redis
        self.packages = packages

    async def states(self, provider_id: str, package_ids: list[str]) -> dict[str, TeamState]:
        """The state of each package the provider was matched to (others are left out)."""
        loaded = await self.packages.load_many(package_ids)
        async with self.redis.pipeline(transaction=False) as pipe:
            for package_id in loaded:
                pipe.hexists(keys.package_matches(package_id), provider_id)
                pipe.hgetall(keys.package_offers(package_id))
                pipe.hget(keys.package_responses(package_id), provider_id)
            raw = await pipe.execute()
        out: dict[str, TeamState] = {}
        declined: list[str] = []
        rows: dict[str, tuple[list[dict[str, Any]], str | None]] = {}
        for n, (package_id, package) in enumerate(loaded.items()):
            matched, offer_map, response = raw[3 * n], raw[3 * n + 1], raw[3 * n + 2]
            if not matched and package.awarded_provider_id != provider_id:
                continue
            own = [o for o in (json.loads(v) for v in offer_map.values()) if o.get("provider_id") == provider_id]
            rows[package_id] = (own, response)
            if response == "declined":
                declined.append(package_id)
        deciders = await self._decliners(provider_id, declined)
        for package_id, (own, response) in rows.items():
            out[package_id] = outcome(loaded[package_id], provider_id, own, response, deciders.get(package_id))
        return out

    async def _decliners(self, provider_id: str, package_ids: list[str]) -> dict[str, str]:
        """Who in the team declined each package: the actor of its latest decline by this provider."""
        if not package_ids:
            return {}
        async with self.redis.pipeline(transaction=False) as pipe:
            for package_id in package_ids:
                pipe.xrevrange(keys.package_history(package_id))
            pages = await pipe.execute()
        out: dict[str, str] = {}
        for package_id, entries in zip(package_ids, pages, strict=True):
            for entry_id, fields in entries:
                event = Event.from_entry(entry_id, fields)
                if event.type == "package.declined" and event.data.get("provider_id") == provider_id:
                    out[package_id] = event.actor
                    break
        return out

    async def matched_in(self, provider_id: str, span: Range) -> list[Package]:
        """Every package the provider was matched to that was posted in the range, newest first
        (posting time, as the broker's reports select them)."""
        ids = await self.redis.zrange(keys.provider_packages(provider_id), 0, -1)
        awarded = await self.redis.zrange(keys.provider_awards(provider_id), 0, -1)
        ids = list(dict.fromkeys([*ids, *awarded]))
        loaded = await self.packages.load_many(ids)
        kept = [p for p in loaded.values() if span.start <= parse_iso(p.posted_at) <= span.end]
        kept.sort(key=lambda p: (p.posted_at, p.id), reverse=True)
        return kept
