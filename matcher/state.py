"""A package's state inside a WATCH/MULTI transaction: read it, its offers, and close it.

Shared by everything that decides a package's fate (withdrawal, award, hand-back, the
deadline), so each reads the same way and a closed package never keeps an open window.
"""

from __future__ import annotations

import json
from typing import Any

from redis.asyncio.client import Pipeline

from config import keys
from matcher.errors import NotFound
from matcher.model import Package


async def load_in(pipe: Pipeline, package_id: str) -> Package:
    raw = await pipe.get(keys.package(package_id))
    if raw is None:
        raise NotFound("No such package.")
    return Package.from_dict(json.loads(raw))


async def offers_in(pipe: Pipeline, package_id: str) -> dict[str, dict[str, Any]]:
    """Every offer of the package, by offer id."""
    return {oid: json.loads(raw) for oid, raw in (await pipe.hgetall(keys.package_offers(package_id))).items()}


def submitted_offer_of(offers: dict[str, dict[str, Any]], provider_id: str) -> dict[str, Any] | None:
    """The provider's offer still awaiting a decision, if any (there is at most one)."""
    return next((o for o in offers.values() if o["provider_id"] == provider_id and o["status"] == "submitted"), None)


def decline_submitted(pipe: Pipeline, package_id: str, offers: dict[str, dict[str, Any]], now: str) -> list[dict[str, Any]]:
    """Queue every still-submitted offer's move to declined; returns those offers."""
    declined = []
    for offer_id, offer in offers.items():
        if offer["status"] == "submitted":
            offer["status"], offer["updated_at"] = "declined", now
            pipe.hset(keys.package_offers(package_id), offer_id, json.dumps(offer))
            declined.append(offer)
    return declined


def queue_close(pipe: Pipeline, package: Package, status: str, reason: str, now: str) -> None:
    """Queue the package's final status; a closed package has no open window."""
    package.status, package.closed_at, package.closed_reason = status, now, reason
    pipe.set(keys.package(package.id), json.dumps(package.to_dict()))
    pipe.zrem(keys.DEADLINES, package.id)
