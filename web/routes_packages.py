"""Packages and offers."""

from __future__ import annotations

from starlette.responses import Response

from matcher import AwardInput, OfferInput, PackageInput, ReasonInput, broker_view
from web import api
from web.api import ANYONE, BROKER, PROVIDER, Call
from web.http import brokerage, ok, reader
from web.inputs import PackageQuery
from web.outputs import Declined, HandedBack, HistoryEntry, OfferOut, PackageView, PostedPackage, RankedOffer


async def post_package(call: Call) -> Response:
    package = await brokerage(call.request).packages.post(call.body, call.me.id)
    return ok({**broker_view(package), "id": package.id, "status": package.status, "deadline": package.deadline,
               "area": package.area, "district": package.district, "matched": package.matched}, 201)


async def list_packages(call: Call) -> Response:
    query: PackageQuery = call.query
    items = await brokerage(call.request).packages.list(
        reader(call.me), status=query.status or None, urgency=query.urgency or None, area=query.area or None,
        limit=query.limit,
    )
    return ok(items)


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
    api.get("/api/packages", list_packages, "List packages: brokers all, a provider its live matches and awards",
            auth=ANYONE, query=PackageQuery, returns=list[PackageView], tag=T),
    api.get("/api/packages/{package_id}", get_package, "One package, as the reader may see it", auth=ANYONE,
            returns=PackageView, tag=T),
    api.post("/api/packages/{package_id}/withdraw", withdraw, "Withdraw a package", auth=BROKER, body=ReasonInput,
             returns=PackageView, errors=(409,), tag=T),
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
