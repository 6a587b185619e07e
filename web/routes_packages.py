"""Packages and offers."""

from __future__ import annotations

from typing import Mapping

from pydantic import ValidationError
from starlette.responses import JSONResponse, Response

from core import parse_moment
from matcher import AwardInput, Invalid, OfferInput, PackageInput, ReasonInput, broker_view
from matcher import PackageQuery as Search
from web import api
from web.api import ANYONE, BROKER, PROVIDER, Call
from web.http import brokerage, ok, reader
from web.inputs import DeadlineInput, PackageQuery, moment_bounds
from web.outputs import (
    Declined, HandedBack, HistoryEntry, ListedPackage, OfferOut, PackagePage, PackageView, PostedPackage, RankedOffer,
)


async def post_package(call: Call) -> Response:
    package = await brokerage(call.request).packages.post(call.body, call.me.id)
    return ok({**broker_view(package), "id": package.id, "status": package.status, "deadline": package.deadline,
               "area": package.area, "district": package.district, "matched": package.matched}, 201)


async def list_packages(call: Call) -> Response:
    query: PackageQuery = call.query
    if call.me.is_broker:
        return await _broker_list(call)
    items = await brokerage(call.request).packages.list(
        reader(call.me), status=query.status or None, urgency=query.urgency or None, area=query.area or None,
        limit=query.limit,
    )
    return ok(items)


def search_of(query: PackageQuery) -> tuple[Search, bool]:
    """The brokers' search from the parsed query string; and whether a page was asked for,
    which makes the answer an object `{items, total, page, per_page}` (a bare list otherwise,
    as before, so existing clients keep working)."""
    paged = bool({"page", "per_page"} & query.model_fields_set)
    per_page = query.per_page or (query.limit if "limit" in query.model_fields_set else (50 if paged else 5000))
    bounds = moment_bounds(query.from_, query.to)
    search = Search(
        status=query.status or None, urgency=query.urgency or None, area=query.area or None,
        q=query.q[:100] or None, posted_from=bounds["from"], posted_to=bounds["to"],
        provider_id=query.provider_id or None, page=query.page, per_page=per_page,
    )
    return search, paged


def search_query(params: Mapping[str, str]) -> tuple[Search, bool]:
    """The same search from plain parameters (the brokers' pages); errors as `Invalid`."""
    try:
        query = PackageQuery.model_validate(dict(params))
    except ValidationError as exc:
        raise api.invalid(exc, PackageQuery) from None
    return search_of(query)


async def _broker_list(call: Call) -> Response:
    search, paged = search_of(call.query)
    service = brokerage(call.request)
    found, total = await service.packages.search(search)
    names = await service.providers.names({p.awarded_provider_id for p in found if p.awarded_provider_id})
    offers = await service.packages.offer_counts([p.id for p in found])
    items = [{**broker_view(p), "awarded_provider_name": names.get(p.awarded_provider_id or ""), "offer_count": offers[p.id]}
             for p in found]
    headers = {"X-Total-Count": str(total)}
    if paged:
        return JSONResponse({"items": items, "total": total, "page": search.page, "per_page": search.per_page}, headers=headers)
    return JSONResponse(items, headers=headers)


async def extend_deadline(call: Call) -> Response:
    body: DeadlineInput = call.body
    try:
        new_deadline = parse_moment(body.deadline, day_end=False)
    except ValueError as exc:
        raise Invalid({"deadline": str(exc)}) from None
    package = await brokerage(call.request).deadlines.extend(call.param("package_id"), new_deadline, body.reason, call.me.id)
    return ok(broker_view(package))


async def release_tier(call: Call) -> Response:
    package = await brokerage(call.request).deadlines.release_next_tier(call.param("package_id"), call.me.id)
    return ok(broker_view(package))


async def get_package(call: Call) -> Response:
    service = brokerage(call.request)
    package_id = call.param("package_id")
    view = await service.packages.view(package_id, reader(call.me))
    if call.me.provider_id:
        await service.packages.mark_seen(package_id, call.me.provider_id)
    return ok(view)


async def withdraw(call: Call) -> Response:
    package = await brokerage(call.request).packages.withdraw(call.param("package_id"), call.body.reason, call.me.id)
    return ok(broker_view(package))


async def award(call: Call) -> Response:
    package = await brokerage(call.request).offers.award(call.param("package_id"), call.body.offer_id, call.me.id)
    return ok(broker_view(package))


async def hand_back(call: Call) -> Response:
    successor = await brokerage(call.request).packages.hand_back(call.param("package_id"), call.body.reason, reader(call.me))
    return ok({"new_package_id": successor.id, "status": "handed_back"}, 201)


async def history(call: Call) -> Response:
    service = brokerage(call.request)
    package_id = call.param("package_id")
    await service.packages.load(package_id)
    trail = await service.events.history(package_id)
    return ok([{"id": e.id, "at": e.at, "actor": e.actor, "type": e.type, "data": e.data} for e in trail])


async def list_offers(call: Call) -> Response:
    return ok(await brokerage(call.request).offers.ranked(call.param("package_id"), reader(call.me)))


async def make_offer(call: Call) -> Response:
    offer = await brokerage(call.request).offers.submit(call.param("package_id"), call.body, reader(call.me))
    return ok(offer.to_dict(), 201)


async def withdraw_offer(call: Call) -> Response:
    offer = await brokerage(call.request).offers.withdraw(call.param("package_id"), call.param("offer_id"), reader(call.me))
    return ok(offer.to_dict())


async def decline(call: Call) -> Response:
    return ok(await brokerage(call.request).offers.decline(call.param("package_id"), call.body.reason, reader(call.me)))


T = "packages"
routes = [
    api.post("/api/packages", post_package, "Post a package; eligible providers are told at once", auth=BROKER,
             body=PackageInput, returns=PostedPackage, status=201, tag=T),
    api.get("/api/packages", list_packages, "List packages: brokers search all (paged with page/per_page), "
            "a provider its live matches and awards", auth=ANYONE, query=PackageQuery,
            returns=list[ListedPackage] | PackagePage, tag=T),
    api.get("/api/packages/{package_id}", get_package, "One package, as the reader may see it", auth=ANYONE,
            returns=PackageView, tag=T),
    api.post("/api/packages/{package_id}/withdraw", withdraw, "Withdraw a package", auth=BROKER, body=ReasonInput,
             returns=PackageView, errors=(409,), tag=T),
    api.post("/api/packages/{package_id}/deadline", extend_deadline, "Move a live package's deadline later",
             auth=BROKER, body=DeadlineInput, returns=PackageView, errors=(409,), tag=T),
    api.post("/api/packages/{package_id}/release-next-tier", release_tier, "Release the next tier now (tiered mode)",
             auth=BROKER, returns=PackageView, errors=(409,), tag=T),
    api.post("/api/packages/{package_id}/award", award, "Award a package to one offer (only one award succeeds)",
             auth=BROKER, body=AwardInput, returns=PackageView, errors=(409,), tag=T),
    api.post("/api/packages/{package_id}/hand-back", hand_back, "The awarded provider hands the package back",
             auth=PROVIDER, body=ReasonInput, returns=HandedBack, status=201, errors=(403, 409), tag=T),
    api.get("/api/packages/{package_id}/history", history, "The audit trail, oldest first", auth=BROKER,
            returns=list[HistoryEntry], tag=T),
    api.get("/api/packages/{package_id}/offers", list_offers, "Offers: brokers all, ranked; a provider its own",
            auth=ANYONE, returns=list[RankedOffer], tag="offers"),
    api.post("/api/packages/{package_id}/offers", make_offer, "Make a sealed offer", auth=PROVIDER, body=OfferInput,
             returns=OfferOut, status=201, errors=(409,), tag="offers"),
    api.delete("/api/packages/{package_id}/offers/{offer_id}", withdraw_offer, "Withdraw an offer while the package is live",
               auth=PROVIDER, returns=OfferOut, errors=(409,), tag="offers"),
    api.post("/api/packages/{package_id}/decline", decline, "Decline a package", auth=PROVIDER, body=ReasonInput,
             returns=Declined, errors=(409,), tag="offers"),
]
