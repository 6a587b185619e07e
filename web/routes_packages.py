"""Packages and offers."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from matcher import PACKAGE_STATUSES, URGENCIES, Invalid, broker_view
from web.http import brokerage, current_user, json_body, ok, reader


async def post_package(request: Request) -> Response:
    user = await current_user(request, "broker")
    package = await brokerage(request).packages.post(await json_body(request), user.id)
    return ok({**broker_view(package), "id": package.id, "status": package.status, "deadline": package.deadline,
               "area": package.area, "district": package.district, "matched": package.matched}, 201)


async def list_packages(request: Request) -> Response:
    user = await current_user(request)
    query = request.query_params
    errors = {}
    if query.get("status") and query["status"] not in PACKAGE_STATUSES:
        errors["status"] = f"must be one of: {', '.join(PACKAGE_STATUSES)}"
    if query.get("urgency") and query["urgency"] not in URGENCIES:
        errors["urgency"] = f"must be one of: {', '.join(URGENCIES)}"
    limit = query.get("limit", "500")
    if not limit.isdigit() or not 0 < int(limit) <= 5000:
        errors["limit"] = "must be a whole number from 1 to 5000"
    if errors:
        raise Invalid(errors)
    items = await brokerage(request).packages.list(
        reader(user), status=query.get("status") or None, urgency=query.get("urgency") or None,
        area=query.get("area") or None, limit=int(limit),
    )
    return ok(items)


async def get_package(request: Request) -> Response:
    user = await current_user(request)
    service = brokerage(request)
    package_id = request.path_params["package_id"]
    view = await service.packages.view(package_id, reader(user))
    if user.provider_id:
        await service.packages.mark_seen(package_id, user.provider_id)
    return ok(view)


async def withdraw(request: Request) -> Response:
    user = await current_user(request, "broker")
    package = await brokerage(request).packages.withdraw(request.path_params["package_id"], await json_body(request), user.id)
    return ok(broker_view(package))


async def award(request: Request) -> Response:
    user = await current_user(request, "broker")
    package = await brokerage(request).offers.award(request.path_params["package_id"], await json_body(request), user.id)
    return ok(broker_view(package))


async def hand_back(request: Request) -> Response:
    user = await current_user(request, "provider")
    successor = await brokerage(request).packages.hand_back(request.path_params["package_id"], await json_body(request), reader(user))
    return ok({"new_package_id": successor.id, "status": "handed_back"}, 201)


async def history(request: Request) -> Response:
    await current_user(request, "broker")
    service = brokerage(request)
    package_id = request.path_params["package_id"]
    await service.packages.load(package_id)
    trail = await service.events.history(package_id)
    return ok([{"id": e.id, "at": e.at, "actor": e.actor, "type": e.type, "data": e.data} for e in trail])


async def list_offers(request: Request) -> Response:
    user = await current_user(request)
    return ok(await brokerage(request).offers.ranked(request.path_params["package_id"], reader(user)))


async def make_offer(request: Request) -> Response:
    user = await current_user(request, "provider")
    offer = await brokerage(request).offers.submit(request.path_params["package_id"], await json_body(request), reader(user))
    return ok(offer.to_dict(), 201)


async def withdraw_offer(request: Request) -> Response:
    user = await current_user(request, "provider")
    offer = await brokerage(request).offers.withdraw(request.path_params["package_id"], request.path_params["offer_id"], reader(user))
    return ok(offer.to_dict())


async def decline(request: Request) -> Response:
    user = await current_user(request, "provider")
    result = await brokerage(request).offers.decline(request.path_params["package_id"], await json_body(request), reader(user))
    return ok(result)


routes = [
    Route("/api/packages", post_package, methods=["POST"]),
    Route("/api/packages", list_packages, methods=["GET"]),
    Route("/api/packages/{package_id}", get_package, methods=["GET"]),
    Route("/api/packages/{package_id}/withdraw", withdraw, methods=["POST"]),
    Route("/api/packages/{package_id}/award", award, methods=["POST"]),
    Route("/api/packages/{package_id}/hand-back", hand_back, methods=["POST"]),
    Route("/api/packages/{package_id}/history", history, methods=["GET"]),
    Route("/api/packages/{package_id}/offers", list_offers, methods=["GET"]),
    Route("/api/packages/{package_id}/offers", make_offer, methods=["POST"]),
    Route("/api/packages/{package_id}/offers/{offer_id}", withdraw_offer, methods=["DELETE"]),
    Route("/api/packages/{package_id}/decline", decline, methods=["POST"]),
]
