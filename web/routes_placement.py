"""Before and after the award: questions, requests for more time, purchase orders, variations."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from matcher import NotFound, order_csv
from web.http import brokerage, current_user, json_body, ok, reader


def _pid(request: Request) -> str:
    return request.path_params["package_id"]


async def ask(request: Request) -> Response:
    user = await current_user(request, "provider")
    question = await brokerage(request).questions.ask(_pid(request), await json_body(request), reader(user))
    return ok({"id": question.id, **question.for_provider(user.provider_id)}, 201)


async def answer(request: Request) -> Response:
    user = await current_user(request, "broker")
    question = await brokerage(request).questions.answer(_pid(request), request.path_params["question_id"], await json_body(request), user.id)
    return ok(question.to_dict())


async def list_questions(request: Request) -> Response:
    user = await current_user(request)
    return ok(await brokerage(request).questions.list(_pid(request), reader(user)))


async def more_time(request: Request) -> Response:
    user = await current_user(request, "provider")
    ask_ = await brokerage(request).time_requests.request(_pid(request), await json_body(request), reader(user))
    return ok(ask_.to_dict(), 201)


async def list_more_time(request: Request) -> Response:
    user = await current_user(request)
    return ok(await brokerage(request).time_requests.list(_pid(request), reader(user)))


async def refuse_more_time(request: Request) -> Response:
    user = await current_user(request, "broker")
    ask_ = await brokerage(request).time_requests.refuse(_pid(request), request.path_params["request_id"], await json_body(request), user.id)
    return ok(ask_.to_dict())


async def _order_reader_check(request: Request) -> None:
    """Brokers and the provider the package is awarded to; anyone else is told it does not exist."""
    user = await current_user(request)
    if user.is_broker:
        await brokerage(request).packages.load(_pid(request))
        return
    package = await brokerage(request).packages.load(_pid(request))
    if not user.provider_id or package.awarded_provider_id != user.provider_id or package.status != "awarded":
        raise NotFound("No such package.")


async def purchase_order(request: Request) -> Response:
    await _order_reader_check(request)
    orders = brokerage(request).purchase_orders
    version = request.query_params.get("version")
    if version:
        found = [o for o in await orders.versions(_pid(request)) if str(o["version"]) == version]
        if not found:
            raise NotFound("No such purchase order version.")
        order = found[0]
    else:
        order = await orders.latest(_pid(request))
    if request.query_params.get("format") == "csv":
        name = f"{order['number']}-v{order['version']}.csv"
        return Response(order_csv(order), media_type="text/csv; charset=utf-8",
                        headers={"content-disposition": f'attachment; filename="{name}"'})
    return ok(order)


async def purchase_order_versions(request: Request) -> Response:
    await _order_reader_check(request)
    return ok(await brokerage(request).purchase_orders.versions(_pid(request)))


async def propose_variation(request: Request) -> Response:
    user = await current_user(request, "broker", "provider")
    variation = await brokerage(request).variations.propose(_pid(request), await json_body(request), reader(user))
    return ok(variation.to_dict(), 201)


async def list_variations(request: Request) -> Response:
    user = await current_user(request, "broker", "provider")
    return ok(await brokerage(request).variations.list(_pid(request), reader(user)))


async def accept_variation(request: Request) -> Response:
    user = await current_user(request, "broker", "provider")
    variation = await brokerage(request).variations.decide(_pid(request), request.path_params["variation_id"], True, {}, reader(user))
    return ok(variation.to_dict())


async def decline_variation(request: Request) -> Response:
    user = await current_user(request, "broker", "provider")
    variation = await brokerage(request).variations.decide(
        _pid(request), request.path_params["variation_id"], False, await json_body(request), reader(user))
    return ok(variation.to_dict())


routes = [
    Route("/api/packages/{package_id}/questions", ask, methods=["POST"]),
    Route("/api/packages/{package_id}/questions", list_questions, methods=["GET"]),
    Route("/api/packages/{package_id}/questions/{question_id}/answer", answer, methods=["POST"]),
    Route("/api/packages/{package_id}/more-time", more_time, methods=["POST"]),
    Route("/api/packages/{package_id}/more-time", list_more_time, methods=["GET"]),
    Route("/api/packages/{package_id}/more-time/{request_id}/refuse", refuse_more_time, methods=["POST"]),
    Route("/api/packages/{package_id}/purchase-order", purchase_order, methods=["GET"]),
    Route("/api/packages/{package_id}/purchase-orders", purchase_order_versions, methods=["GET"]),
    Route("/api/packages/{package_id}/variations", propose_variation, methods=["POST"]),
    Route("/api/packages/{package_id}/variations", list_variations, methods=["GET"]),
    Route("/api/packages/{package_id}/variations/{variation_id}/accept", accept_variation, methods=["POST"]),
    Route("/api/packages/{package_id}/variations/{variation_id}/decline", decline_variation, methods=["POST"]),
]
