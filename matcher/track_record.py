"""A provider's track record for the back office: the packages it was matched to most
recently, newest first, each with the offer it made (or its decline) and how it ended.

Read from the records the offer book keeps (the package, its matches, offers and
responses), one pipeline for a whole page, so the back office never reads matcher keys."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from config import keys
from matcher.model import OPEN_STATUSES, Package

# The order an offer's status speaks for a provider's part in a package (it may have
# withdrawn one offer and made another).
_OFFER_RANK = {"accepted": 0, "submitted": 1, "declined": 2, "withdrawn": 3}


@dataclass(frozen=True)
class Dealing:
    """One package the provider was matched to, and what came of it.

    outcome: awarded (to this provider), handed_back (awarded, then handed back),
    offered (its offer awaits the council's decision), not_chosen (it offered, the package
    went to another provider), closed (it offered, the package was withdrawn or left
    unplaced), offer_withdrawn, declined, waiting (still open, no answer yet),
    no_response (closed without an answer from it)."""

    package_id: str
    reference: str | None
    postcode: str
    urgency: str
    matched_at: str
    package_status: str
    outcome: str
    hourly_rate: float | None  # the price it offered, if it offered
    offered_at: str | None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def outcome_of(package: Package, provider_id: str, offer: dict[str, Any] | None, response: str | None) -> str:
    if package.awarded_provider_id == provider_id:
        return "awarded" if package.status == "awarded" else "handed_back"
    if offer is not None:
        if offer.get("status") == "submitted":
            return "offered"
        if offer.get("status") == "declined":
            return "not_chosen" if package.awarded_provider_id else "closed"
        if offer.get("status") == "withdrawn" and response != "declined":
            return "offer_withdrawn"
    if response == "declined":
        return "declined"
    return "waiting" if package.status in OPEN_STATUSES else "no_response"


class TrackRecord:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def recent(self, provider_id: str, limit: int = 20) -> list[Dealing]:
        """The latest `limit` packages the provider was matched to, newest match first."""
        package_ids = await self.redis.zrevrange(keys.provider_packages(provider_id), 0, limit - 1)
        if not package_ids:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for package_id in package_ids:
                pipe.get(keys.package(package_id))
                pipe.hget(keys.package_matches(package_id), provider_id)
                pipe.hgetall(keys.package_offers(package_id))
                pipe.hget(keys.package_responses(package_id), provider_id)
            rows = await pipe.execute()
        out: list[Dealing] = []
        for n, package_id in enumerate(package_ids):
            raw, match, offers, response = rows[4 * n: 4 * n + 4]
            if raw is None:
                continue
            package = Package.from_dict(json.loads(raw))
            own = [o for o in (json.loads(v) for v in offers.values()) if o.get("provider_id") == provider_id]
            own.sort(key=lambda o: o.get("submitted_at", ""), reverse=True)  # latest first among equals
            own.sort(key=lambda o: _OFFER_RANK.get(o.get("status", ""), 9))
            offer = own[0] if own else None
            out.append(Dealing(
                package_id=package.id, reference=package.reference, postcode=package.postcode, urgency=package.urgency,
                matched_at=json.loads(match)["at"] if match else package.posted_at, package_status=package.status,
                outcome=outcome_of(package, provider_id, offer, response),
                hourly_rate=offer.get("hourly_rate") if offer else None, offered_at=offer.get("submitted_at") if offer else None,
            ))
        return out

