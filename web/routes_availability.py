"""Availability (providers declare it; brokers see all of it) and the matched providers of
a package in the order brokers should look at them."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from matcher import ordered_matches, parse_district
from web.http import brokerage, current_user, json_body, no_content, ok


async def post_availability(request: Request) -> Response:
    user = await current_user(request, "provider")
    slot, brought = await brokerage(request).availability.post(await json_body(request), user.provider_id or "", user.id)
    return ok({**slot.to_dict(), "packages": brought}, 201)


async def list_availability(request: Request) -> Response:
    user = await current_user(request)
    service = brokerage(request)
    district = parse_district(request.query_params.get("district"), service.postcodes)
    # Brokers see every provider's; a provider user only its own organisation's.
    owner = None if user.is_broker else (user.provider_id or "")
    slots = await service.availability.slots.list(provider_id=owner, district=district)
    return ok([s.to_dict() for s in slots])


async def delete_availability(request: Request) -> Response:
    user = await current_user(request, "provider")
    await brokerage(request).availability.slots.delete(request.path_params["slot_id"], user.provider_id, user.id)
    return no_content()


async def package_matches(request: Request) -> Response:
    await current_user(request, "broker")
    service = brokerage(request)
    package_id = request.path_params["package_id"]
    await service.packages.load(package_id)
    told = [e.data.get("provider_id", "") for e in await service.events.history(package_id) if e.type == "package.matched"]
    return ok(ordered_matches(await service.packages.matches(package_id), told))


routes = [
    Route("/api/availability", post_availability, methods=["POST"]),
    Route("/api/availability", list_availability, methods=["GET"]),
    Route("/api/availability/{slot_id}", delete_availability, methods=["DELETE"]),
    Route("/api/packages/{package_id}/matches", package_matches, methods=["GET"]),
]
