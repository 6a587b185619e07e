"""Variations after award: new hours or visits, proposed by one side, decided by the other.

Accepting changes the package's needs and issues the next purchase order version in the
same transaction. Where a council allows it (`VARIATION_FLEX`, e.g. 0.1 for Hertfordshire's
10 % flex; off by default, as the contract has the other side decide every variation), a
provider's change within that fraction of the weekly hours is accepted at once and brokers
are told (`auto: true`). The answer
to proposing still says `status: "proposed"` (the contract's; what was made is a proposal)
with `accepted_automatically: true`, and the broker accepting it afterwards answers 200 and
changes nothing: clients written to the contract, unaware of the flex, keep working."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from config import keys
from core import Event, EventLog, iso, new_id
from matcher import state
from matcher.errors import Conflict, Forbidden, NotFound
from matcher.model import Record
from matcher.packages import PackageStore, Reader
from matcher.purchase_orders import PurchaseOrders, pattern_hours_of, starts_from
from matcher.tx import transact
from matcher.placement_inputs import DeclineInput, VariationInput

SIDES = ("broker", "provider")


@dataclass
class Variation(Record):
    id: str
    package_id: str
    proposed_by: str  # broker | provider: the other side decides
    proposer: str  # user id
    reason: str
    effective_from: str
    proposed_at: str
    hours_per_week: float | None = None
    visits: list[dict[str, Any]] | None = None
    status: str = "proposed"  # proposed, accepted, declined
    auto: bool = False
    decided_at: str | None = None
    decided_by: str | None = None
    decline_reason: str | None = None
    previous: dict[str, Any] = field(default_factory=dict)  # the needs it replaced, once accepted
    purchase_order_version: int | None = None

    def as_proposed(self) -> dict[str, Any]:
        """The answer to proposing: what was created is a proposal (the contract's `status`),
        and whether the flex rule accepted it at once (`accepted_automatically`); reading it
        back (GET, history) shows it `accepted`."""
        return {**self.to_dict(), "status": "proposed", "accepted_automatically": self.auto, "current_status": self.status}


def hours_of(visits: list[dict[str, Any]]) -> float:
    """Care hours a week of a visit pattern (carer hours not counted twice)."""
    return round(sum(v["minutes"] * len(v["days"]) for v in visits) / 60, 2)


def within_flex(old_hours: float, new_hours: float, flex: float) -> bool:
    """Whether the flex rule accepts the change at once; a flex of 0 (the default) never does."""
    return flex > 0 and old_hours > 0 and abs(new_hours - old_hours) <= flex * old_hours + 1e-9


class Variations:
    def __init__(self, redis: Redis, packages: PackageStore, events: EventLog, purchase_orders: PurchaseOrders, flex: float) -> None:
        self.redis = redis
        self.packages = packages
        self.events = events
        self.purchase_orders = purchase_orders
        self.flex = flex

    def _side(self, package_provider: str | None, reader: Reader) -> str:
        if reader.is_broker:
            return "broker"
        if reader.provider_id and reader.provider_id == package_provider:
            return "provider"
        raise NotFound("No such package.")

    async def propose(self, package_id: str, body: VariationInput, reader: Reader) -> Variation:
        package = await self.packages.load(package_id)
        side = self._side(package.awarded_provider_id, reader)
        reason, effective_from, hours, visits = body.reason, body.effective_from, body.hours_per_week, body.visit_dicts()
        variation = Variation(id=new_id("var"), package_id=package_id, proposed_by=side, proposer=reader.user_id, reason=reason,
                              effective_from=effective_from, proposed_at=iso(time.time()), hours_per_week=hours, visits=visits)

        async def write(pipe: Pipeline) -> Variation:
            current = await state.load_in(pipe, package_id)
            if current.status != "awarded":
                raise Conflict(f"The package is {current.status}; only an awarded package can be varied.", code="package_not_awarded")
            new_hours = hours if hours is not None else hours_of(visits or [])
            auto = side == "provider" and within_flex(current.hours_per_week, new_hours, self.flex)
            order = await self.purchase_orders.latest_in(pipe, package_id) if auto else None
            pipe.multi()
            self._queue_proposed(pipe, variation, current.awarded_provider_id or "")
            if auto:
                variation.auto = True
                self._queue_accept(pipe, current, variation, order, "system")
            pipe.hset(keys.package_variations(package_id), variation.id, json.dumps(variation.to_dict()))
            return variation

        return await transact(self.redis, _keys(package_id), write)

    def _queue_proposed(self, pipe: Pipeline, variation: Variation, provider_id: str) -> None:
        self.events.queue(pipe, Event(type="variation.proposed", actor=variation.proposer, package_id=variation.package_id,
                                      audience=[provider_id], data={"package_id": variation.package_id, "provider_id": provider_id,
                                                                    "variation": variation.to_dict()}))

    def _queue_accept(self, pipe: Pipeline, package: Any, variation: Variation, order: dict[str, Any] | None, actor: str) -> None:
        variation.previous = {"hours_per_week": package.hours_per_week, "visits": package.visits}
        # The hours the visit pattern stands for: restated with new visits, carried otherwise,
        # so an hours-only change is priced as its own line (see purchase_orders).
        pattern_hours = pattern_hours_of(order) if order else package.hours_per_week
        if variation.hours_per_week is not None:
            package.hours_per_week = variation.hours_per_week
        if variation.visits is not None:
            package.visits = variation.visits
            if variation.hours_per_week is None:
                package.hours_per_week = hours_of(variation.visits)
            pattern_hours = package.hours_per_week
        variation.status, variation.decided_at, variation.decided_by = "accepted", iso(time.time()), actor
        provider_id = package.awarded_provider_id or ""
        version = (order["version"] + 1) if order else 1
        number = order["number"] if order else f"PO-{package.id}"
        rate = order["hourly_rate"] if order else 0.0
        variation.purchase_order_version = version
        pipe.set(keys.package(package.id), json.dumps(package.to_dict()))
        self.events.queue(pipe, Event(type="variation.accepted", actor=actor, package_id=package.id, audience=[provider_id], data={
            "package_id": package.id, "provider_id": provider_id, "variation_id": variation.id, "auto": variation.auto,
            "proposed_by": variation.proposed_by, "hours_per_week": package.hours_per_week,
            "effective_from": variation.effective_from, "purchase_order_version": version,
        }))
        self.purchase_orders.queue_issue(pipe, package, provider_id, rate, actor, number=number, version=version,
                                         variation_id=variation.id, effective_from=variation.effective_from,
                                         pattern_hours=pattern_hours, starts=starts_from(order) if order else None)

    async def decide(self, package_id: str, variation_id: str, accept: bool, body: DeclineInput | None,
                     reader: Reader) -> Variation:
        package = await self.packages.load(package_id)
        side = self._side(package.awarded_provider_id, reader)
        reason = None if accept or body is None else body.reason

        async def write(pipe: Pipeline) -> Variation:
            current = await state.load_in(pipe, package_id)
            raw = await pipe.hget(keys.package_variations(package_id), variation_id)
            if raw is None:
                raise NotFound("No such variation.")
            variation = Variation.from_dict(json.loads(raw))
            if variation.proposed_by == side:
                raise Forbidden("The other side decides on a variation, not the side that proposed it.", code="not_your_decision")
            if accept and variation.status == "accepted":
                # Already accepted (within the flex, or a repeated click): accepting again is the
                # same decision, so it answers as the first did and issues nothing more.
                pipe.multi()
                return variation
            if variation.status != "proposed":
                raise Conflict(f"This variation is already {variation.status}.", code="already_decided")
            if current.status != "awarded":
                raise Conflict(f"The package is {current.status}; the variation can no longer be decided.", code="package_not_awarded")
            order = await self.purchase_orders.latest_in(pipe, package_id)
            pipe.multi()
            if accept:
                self._queue_accept(pipe, current, variation, order, reader.user_id)
            else:
                variation.status, variation.decided_at, variation.decided_by = "declined", iso(time.time()), reader.user_id
                variation.decline_reason = reason
                self.events.queue(pipe, Event(type="variation.declined", actor=reader.user_id, package_id=package_id,
                                              audience=[current.awarded_provider_id or ""], data={
                    "package_id": package_id, "provider_id": current.awarded_provider_id, "variation_id": variation_id,
                    "proposed_by": variation.proposed_by, "reason": reason,
                }))
            pipe.hset(keys.package_variations(package_id), variation_id, json.dumps(variation.to_dict()))
            return variation

        return await transact(self.redis, _keys(package_id), write)

    async def list(self, package_id: str, reader: Reader) -> list[dict[str, Any]]:
        package = await self.packages.load(package_id)
        self._side(package.awarded_provider_id, reader)
        raws = await self.redis.hvals(keys.package_variations(package_id))
        return sorted((json.loads(r) for r in raws), key=lambda v: (v["proposed_at"], v["id"]))


def _keys(package_id: str) -> list[str]:
    return [keys.package(package_id), keys.package_variations(package_id), keys.package_purchase_orders(package_id)]
