"""Offers: sealed, one live offer per provider per package, capped; declines; the award.

All offers of a package live in one hash, so a single WATCH on it and on the package key
makes "only one award can ever succeed" hold across any number of processes.
"""

from __future__ import annotations

import json
import time
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from config import Settings, keys
from core import Event, EventLog, iso, new_id
from matcher import packages as pk
from matcher import state, views
from matcher.errors import Conflict, Invalid, NotFound
from matcher.inputs import OfferInput
from matcher.model import Offer, Package
from matcher.providers import ProviderStore
from matcher.purchase_orders import PurchaseOrders, care_start
from matcher.scoring import score
from matcher.tx import transact


# Offers a provider may make on one package, withdrawn ones included: enough to correct a
# mistake several times, not a loop that grows the package's offers and history without end.
MAX_OFFERS_PER_PROVIDER = 10


class OfferBook:
    def __init__(self, redis: Redis, settings: Settings, packages: pk.PackageStore, providers: ProviderStore, events: EventLog,
                 purchase_orders: PurchaseOrders | None = None) -> None:
        self.redis = redis
        # On award the purchase order is issued in the same transaction (contract: "on award a purchase order exists").
        self.purchase_orders = purchase_orders or PurchaseOrders(redis, events, settings.call_bands)
        self.settings = settings
        self.packages = packages
        self.providers = providers
        self.events = events

    async def submit(self, package_id: str, terms: OfferInput, reader: pk.Reader) -> Offer:
        provider_id = reader.provider_id or ""
        await self.packages.require_match(package_id, provider_id)
        low, high = self.settings.price_min, self.settings.price_max
        if not low <= terms.hourly_rate <= high:
            raise Invalid({"hourly_rate": f"must be in [{low:g}, {high:g}]"})
        now = iso(time.time())
        offer = Offer(
            id=new_id("off"), package_id=package_id, provider_id=provider_id, hourly_rate=round(terms.hourly_rate, 2),
            start_date=terms.start_date, can_meet_needs=True, note=terms.note, status="submitted",
            submitted_at=now, submitted_by=reader.user_id, updated_at=now,
        )

        async def write(pipe: Pipeline) -> Offer:
            package = await state.load_in(pipe, package_id)
            if package.status != "live":
                raise Conflict(f"The package is {package.status}; offers are closed.", code="package_not_live")
            offers = await state.offers_in(pipe, package_id)
            if state.submitted_offer_of(offers, provider_id):
                raise Conflict("Your organisation already has an offer on this package; offers are sealed and final unless withdrawn.", code="offer_exists")
            if sum(1 for o in offers.values() if o["provider_id"] == provider_id) >= MAX_OFFERS_PER_PROVIDER:
                raise Conflict(f"Your organisation has made {MAX_OFFERS_PER_PROVIDER} offers on this package; ask the council "
                               "if you need to change yours again.", code="too_many_offers")
            pipe.multi()
            pipe.hset(keys.package_offers(package_id), offer.id, json.dumps(offer.to_dict()))
            pipe.hset(keys.package_responses(package_id), provider_id, "offered")
            self.events.queue(pipe, Event(
                # The provider's own team hears it too (its board shows who offered); no other provider does.
                type="offer.submitted", actor=reader.user_id, package_id=package_id, audience=[provider_id],
                data={"package_id": package_id, "offer": offer.to_dict()},
            ))
            return offer

        return await transact(self.redis, _keys(package_id), write)

    async def withdraw(self, package_id: str, offer_id: str, reader: pk.Reader) -> Offer:
        await self.packages.require_match(package_id, reader.provider_id or "")

        async def write(pipe: Pipeline) -> Offer:
            package = await state.load_in(pipe, package_id)
            raw = await pipe.hget(keys.package_offers(package_id), offer_id)
            offer = Offer.from_dict(json.loads(raw)) if raw else None
            if offer is None or offer.provider_id != reader.provider_id:
                raise NotFound("No such offer.")
            if package.status != "live":
                raise Conflict(f"The package is {package.status}; offers can only be withdrawn while it is live.", code="package_not_live")
            if offer.status != "submitted":
                raise Conflict(f"The offer is already {offer.status}.", code="offer_not_submitted")
            offer.status, offer.updated_at = "withdrawn", iso(time.time())
            pipe.multi()
            pipe.hset(keys.package_offers(package_id), offer_id, json.dumps(offer.to_dict()))
            pipe.hdel(keys.package_responses(package_id), offer.provider_id)
            self.events.queue(pipe, Event(
                type="offer.withdrawn", actor=reader.user_id, package_id=package_id, audience=[offer.provider_id],
                data={"package_id": package_id, "offer_id": offer_id, "provider_id": offer.provider_id},
            ))
            return offer

        return await transact(self.redis, _keys(package_id), write)

    async def decline(self, package_id: str, reason: str, reader: pk.Reader) -> dict[str, Any]:
        provider_id = reader.provider_id or ""
        await self.packages.require_match(package_id, provider_id)

        async def write(pipe: Pipeline) -> dict[str, Any]:
            package = await state.load_in(pipe, package_id)
            if package.status != "live":
                raise Conflict(f"The package is {package.status}; there is nothing to decline.", code="package_not_live")
            if state.submitted_offer_of(await state.offers_in(pipe, package_id), provider_id):
                raise Conflict("Withdraw your offer before declining the package.", code="offer_exists")
            pipe.multi()
            pipe.hset(keys.package_responses(package_id), provider_id, "declined")
            self.events.queue(pipe, Event(
                type="package.declined", actor=reader.user_id, package_id=package_id, audience=[provider_id],
                data={"package_id": package_id, "provider_id": provider_id, "reason": reason},
            ))
            return {"package_id": package_id, "provider_id": provider_id, "status": "declined", "reason": reason}

        return await transact(self.redis, _keys(package_id), write)

    async def award(self, package_id: str, offer_id: str, actor: str) -> Package:

        async def write(pipe: Pipeline) -> Package:
            package = await state.load_in(pipe, package_id)
            if package.status == "awarded" or package.awarded_offer_id:
                raise Conflict("This package has already been awarded.", code="already_awarded")
            if package.status not in ("live", "awaiting_award"):
                raise Conflict(f"The package is {package.status} and cannot be awarded.", code="package_not_open")
            offers = await state.offers_in(pipe, package_id)
            chosen = offers.get(offer_id)
            if chosen is None:
                raise Invalid({"offer_id": "is not an offer on this package"})
            if chosen["status"] != "submitted":
                raise Conflict(f"That offer is {chosen['status']} and cannot be accepted.", code="offer_not_submitted")
            matched = await pipe.hkeys(keys.package_matches(package_id))
            number = await self.purchase_orders.next_number()
            now = iso(time.time())
            package.awarded_at, package.awarded_offer_id, package.awarded_provider_id = now, chosen["id"], chosen["provider_id"]
            pipe.multi()
            state.queue_close(pipe, package, "awarded", "awarded", now)
            pipe.zadd(keys.provider_awards(chosen["provider_id"]), {package_id: time.time()})
            pipe.incr(keys.provider_rounds_version(chosen["provider_id"]))
            chosen["status"], chosen["updated_at"] = "accepted", now
            pipe.hset(keys.package_offers(package_id), chosen["id"], json.dumps(chosen))
            losers = state.decline_submitted(pipe, package_id, offers, now)
            self._queue_outcomes(pipe, package, chosen, losers, matched, actor)
            # The order starts when care does: the winner's start date if it is later than the package's.
            self.purchase_orders.queue_issue(pipe, package, chosen["provider_id"], chosen["hourly_rate"], actor, number=number, version=1,
                                             starts=care_start(package, chosen.get("start_date")))
            return package

        return await transact(self.redis, _keys(package_id), write)

    def _queue_outcomes(self, pipe: Pipeline, package: Package, chosen: dict[str, Any], losers: list[dict[str, Any]], matched: list[str], actor: str) -> None:
        """Everyone who offered hears the outcome; everyone else matched hears the package closed."""
        pid = package.id
        self.events.queue(pipe, Event(type="package.awarded", actor=actor, package_id=pid, data={
            "package_id": pid, "offer_id": chosen["id"], "provider_id": chosen["provider_id"], "hourly_rate": chosen["hourly_rate"],
        }))
        self.events.queue(pipe, Event(type="offer.accepted", actor=actor, package_id=pid, audience=[chosen["provider_id"]], data={
            "package_id": pid, "offer_id": chosen["id"], "provider_id": chosen["provider_id"],
        }))
        told = {chosen["provider_id"]}
        for offer in losers:
            told.add(offer["provider_id"])
            self.events.queue(pipe, Event(type="offer.declined", actor=actor, package_id=pid, audience=[offer["provider_id"]], data={
                "package_id": pid, "offer_id": offer["id"], "provider_id": offer["provider_id"], "reason": "awarded_elsewhere",
            }))
        others = [p for p in matched if p not in told]
        if others:
            self.events.queue(pipe, Event(type="package.closed", actor=actor, package_id=pid, audience=others, data={
                "package_id": pid, "reason": "awarded_elsewhere",
            }))

    async def ranked(self, package_id: str, reader: pk.Reader) -> list[dict[str, Any]]:
        if not reader.is_broker:
            await self.packages.require_match(package_id, reader.provider_id or "")
        else:
            package = await self.packages.load(package_id)
        raw = await self.redis.hgetall(keys.package_offers(package_id))
        offers = [json.loads(r) for r in raw.values()]
        if not reader.is_broker:
            return sorted((o for o in offers if o["provider_id"] == reader.provider_id), key=lambda o: o["submitted_at"])
        # Information for the broker beside the score; the award score stays as the contract says.
        rounds = self.packages.rounds
        fits = await rounds.fits(package, sorted({o["provider_id"] for o in offers})) if rounds else {}
        for offer in offers:
            offer["round_fit"] = fits.get(offer["provider_id"])
        snapshot = await self.providers.snapshot()
        for offer in offers:
            provider = snapshot.providers.get(offer["provider_id"])
            rating = provider.cqc_rating if provider else "inadequate"
            s = score(rating, offer["hourly_rate"], price_min=self.settings.price_min,
                      price_max=self.settings.price_max, quality_weight=self.settings.quality_weight)
            offer.update(score=s.total, score_parts={"quality": s.quality, "price": s.price},
                         provider_name=provider.name if provider else None, cqc_rating=rating)
        live = ("submitted", "accepted")
        return sorted(offers, key=lambda o: (o["status"] not in live, -o["score"], o["submitted_at"]))

    async def of_provider(self, provider_id: str, limit: int) -> list[dict[str, Any]]:
        """A provider's own offers across its latest `limit` packages, newest first, each
        with what a matched provider may see of its package."""
        package_ids = await self.redis.zrevrange(keys.provider_packages(provider_id), 0, limit - 1)
        async with self.redis.pipeline(transaction=False) as pipe:
            for package_id in package_ids:
                pipe.hgetall(keys.package_offers(package_id))
            offer_maps = await pipe.execute()
        packages = await self.packages.load_many(package_ids)
        out = []
        for package_id, offers in zip(package_ids, offer_maps, strict=True):
            package = packages.get(package_id)
            if package is None:
                continue
            for raw_offer in offers.values():
                offer = json.loads(raw_offer)
                if offer.get("provider_id") == provider_id:
                    out.append({**offer, "package": views.offer_summary(package)})
        out.sort(key=lambda o: o.get("submitted_at", ""), reverse=True)
        return out


def _keys(package_id: str) -> list[str]:
    return [keys.package(package_id), keys.package_offers(package_id)]

