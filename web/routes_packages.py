"""Packages and offers."""

from __future__ import annotations

from typing import Any, Mapping

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from core import parse_moment
from matcher import PACKAGE_STATUSES, URGENCIES, Invalid, PackageQuery, broker_view
from web.http import brokerage, current_user, json_body, ok, reader


async def post_package(request: Request) -> Response:
    user = await current_user(request, "broker")
    package = await brokerage(request).packages.post(await json_body(request), user.id)
    return ok({**broker_view(package), "id": package.id, "status": package.status, "deadline": package.deadline,
               "area": package.area, "district": package.district, "matched": package.matched}, 201)


async def list_packages(request: Request) -> Response:
    user = await current_user(request)
    if user.is_broker:
        return await _broker_list(request)
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


def search_query(params: Mapping[str, str]) -> tuple[PackageQuery, bool]:
    """The brokers' search from the query string; and whether a page was asked for, which
    makes the answer an object `{items, total, page, per_page}` (a bare list otherwise, as
    before, so existing clients keep working)."""
    errors: dict[str, str] = {}
    if params.get("status") and params["status"] not in PACKAGE_STATUSES:
        errors["status"] = f"must be one of: {', '.join(PACKAGE_STATUSES)}"
    if params.get("urgency") and params["urgency"] not in URGENCIES:
        errors["urgency"] = f"must be one of: {', '.join(URGENCIES)}"
    paged = "page" in params or "per_page" in params
    numbers = {"page": (params.get("page", "1"), 1, 1_000_000),
               "per_page": (params.get("per_page") or params.get("limit") or ("50" if paged else "5000"), 1, 5000)}
    for name, (raw, low, high) in numbers.items():
        if not raw.isdigit() or not low <= int(raw) <= high:
            errors[name] = f"must be a whole number from {low} to {high}"
    bounds: dict[str, float | None] = {"from": None, "to": None}
    for name, day_end in (("from", False), ("to", True)):
        if params.get(name):
            try:
                bounds[name] = parse_moment(params[name], day_end=day_end)
            except ValueError as exc:
                errors[name] = str(exc)
    if errors:
        raise Invalid(errors)
    query = PackageQuery(
        status=params.get("status") or None, urgency=params.get("urgency") or None, area=params.get("area") or None,
        q=(params.get("q") or "").strip()[:100] or None, posted_from=bounds["from"], posted_to=bounds["to"],
        provider_id=params.get("provider_id") or None,
        page=int(numbers["page"][0]), per_page=int(numbers["per_page"][0]),
    )
    return query, paged


async def _broker_list(request: Request) -> Response:
    query, paged = search_query(request.query_params)
    service = brokerage(request)
    found, total = await service.packages.search(query)
    names = await service.providers.names({p.awarded_provider_id for p in found if p.awarded_provider_id})
    offers = await service.packages.offer_counts([p.id for p in found])
    items = [{**broker_view(p), "awarded_provider_name": names.get(p.awarded_provider_id or ""), "offer_count": offers[p.id]} for p in found]
    headers = {"X-Total-Count": str(total)}
    if paged:
        return JSONResponse({"items": items, "total": total, "page": query.page, "per_page": query.per_page}, headers=headers)
    return JSONResponse(items, headers=headers)


async def extend_deadline(request: Request) -> Response:
    user = await current_user(request, "broker")
    body = await json_body(request)
    new_deadline, reason = _deadline_input(body)
    package = await brokerage(request).deadlines.extend(request.path_params["package_id"], new_deadline, reason, user.id)
    return ok(broker_view(package))


def _deadline_input(body: Any) -> tuple[float, str]:
    if not isinstance(body, dict):
        raise Invalid({"body": "must be a JSON object with deadline and reason"})
    errors: dict[str, str] = {}
    new_deadline = 0.0
    try:
        new_deadline = parse_moment(body.get("deadline"), day_end=False)
    except ValueError as exc:
        errors["deadline"] = str(exc)
    reason = body.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        errors["reason"] = "is required: say why the deadline moves"
    if errors:
        raise Invalid(errors)
    return new_deadline, reason


async def release_tier(request: Request) -> Response:
    user = await current_user(request, "broker")
    package = await brokerage(request).deadlines.release_next_tier(request.path_params["package_id"], user.id)
    return ok(broker_view(package))


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
    Route("/api/packages/{package_id}/deadline", extend_deadline, methods=["POST"]),
    Route("/api/packages/{package_id}/release-next-tier", release_tier, methods=["POST"]),
    Route("/api/packages/{package_id}/award", award, methods=["POST"]),
    Route("/api/packages/{package_id}/hand-back", hand_back, methods=["POST"]),
    Route("/api/packages/{package_id}/history", history, methods=["GET"]),
    Route("/api/packages/{package_id}/offers", list_offers, methods=["GET"]),
    Route("/api/packages/{package_id}/offers", make_offer, methods=["POST"]),
    Route("/api/packages/{package_id}/offers/{offer_id}", withdraw_offer, methods=["DELETE"]),
    Route("/api/packages/{package_id}/decline", decline, methods=["POST"]),
]
