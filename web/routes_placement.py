"""Before and after the award: questions, requests for more time, purchase orders, variations."""

from __future__ import annotations

from starlette.responses import Response

from matcher import AnswerInput, DeclineInput, NotFound, QuestionInput, ReasonInput, VariationInput, order_csv
from web import api
from web.api import ANYONE, BROKER, PROVIDER, Call
from web.http import brokerage, ok, reader
from web.inputs import PurchaseOrderQuery
from web.outputs import ProposedVariation, PurchaseOrderOut, TimeRequestOut, VariationOut

BOTH = ("broker", "provider")
T = "placement"


def _pid(call: Call) -> str:
    return call.param("package_id")


async def ask(call: Call) -> Response:
    question = await brokerage(call.request).questions.ask(_pid(call), call.body, reader(call.me))
    return ok({"id": question.id, **question.for_provider(call.me.provider_id)}, 201)


async def answer(call: Call) -> Response:
    question = await brokerage(call.request).questions.answer(_pid(call), call.param("question_id"), call.body, call.me.id)
    return ok(question.to_dict())


async def list_questions(call: Call) -> Response:
    return ok(await brokerage(call.request).questions.list(_pid(call), reader(call.me)))


async def more_time(call: Call) -> Response:
    ask_ = await brokerage(call.request).time_requests.request(_pid(call), call.body, reader(call.me))
    return ok(ask_.to_dict(), 201)


async def list_more_time(call: Call) -> Response:
    return ok(await brokerage(call.request).time_requests.list(_pid(call), reader(call.me)))


async def refuse_more_time(call: Call) -> Response:
    ask_ = await brokerage(call.request).time_requests.refuse(_pid(call), call.param("request_id"), call.body, call.me.id)
    return ok(ask_.to_dict())


async def _order_reader_check(call: Call) -> None:
    """Brokers and the provider the package is awarded to; anyone else is told it does not exist."""
    user = call.me
    package = await brokerage(call.request).packages.load(_pid(call))
    if user.is_broker:
        return
    if not user.provider_id or package.awarded_provider_id != user.provider_id or package.status != "awarded":
        raise NotFound("No such package.")


async def purchase_order(call: Call) -> Response:
    await _order_reader_check(call)
    orders = brokerage(call.request).purchase_orders
    version = call.query.version
    if version is not None:
        found = [o for o in await orders.versions(_pid(call)) if o["version"] == version]
        if not found:
            raise NotFound("No such purchase order version.")
        order = found[0]
    else:
        order = await orders.latest(_pid(call))
    if call.query.format == "csv":
        name = f"{order['number']}-v{order['version']}.csv"
        return Response(order_csv(order), media_type="text/csv; charset=utf-8",
                        headers={"content-disposition": f'attachment; filename="{name}"'})
    return ok(order)


async def purchase_order_versions(call: Call) -> Response:
    await _order_reader_check(call)
    return ok(await brokerage(call.request).purchase_orders.versions(_pid(call)))


async def propose_variation(call: Call) -> Response:
    variation = await brokerage(call.request).variations.propose(_pid(call), call.body, reader(call.me))
    return ok(variation.as_proposed(), 201)


async def list_variations(call: Call) -> Response:
    return ok(await brokerage(call.request).variations.list(_pid(call), reader(call.me)))


async def accept_variation(call: Call) -> Response:
    variation = await brokerage(call.request).variations.decide(_pid(call), call.param("variation_id"), True, None, reader(call.me))
    return ok(variation.to_dict())


async def decline_variation(call: Call) -> Response:
    variation = await brokerage(call.request).variations.decide(
        _pid(call), call.param("variation_id"), False, call.body, reader(call.me))
    return ok(variation.to_dict())


P = "/api/packages/{package_id}"
routes = [
    api.post(f"{P}/questions", ask, "Ask the broker a question about a package you are matched to", auth=PROVIDER,
             body=QuestionInput, returns=dict, status=201, errors=(409,), tag=T),
    api.get(f"{P}/questions", list_questions, "Questions on a package: brokers all, a provider its own and published ones",
            auth=ANYONE, returns=list[dict], tag=T),
    api.post(f"{P}/questions/{{question_id}}/answer", answer,
             "Answer a question privately, or publish it (without the asker) to every matched provider",
             auth=BROKER, body=AnswerInput, returns=dict, errors=(409,), tag=T),
    api.post(f"{P}/more-time", more_time, "Ask for more time to respond", auth=PROVIDER, body=ReasonInput,
             returns=TimeRequestOut, status=201, errors=(409,), tag=T),
    api.get(f"{P}/more-time", list_more_time, "Requests for more time: brokers all, a provider its own",
            auth=ANYONE, returns=list[TimeRequestOut], tag=T),
    api.post(f"{P}/more-time/{{request_id}}/refuse", refuse_more_time, "Refuse a request for more time, with a reason",
             auth=BROKER, body=ReasonInput, returns=TimeRequestOut, errors=(409,), tag=T),
    api.get(f"{P}/purchase-order", purchase_order, "The package's purchase order (latest version, or ?version=n; ?format=csv)",
            auth=ANYONE, query=PurchaseOrderQuery, returns=PurchaseOrderOut, extra_media={"text/csv": "the order's lines"}, tag=T),
    api.get(f"{P}/purchase-orders", purchase_order_versions, "Every version of the package's purchase order",
            auth=ANYONE, returns=list[PurchaseOrderOut], tag=T),
    api.post(f"{P}/variations", propose_variation, "Propose a change to an awarded package's hours or visits",
             auth=BOTH, body=VariationInput, returns=ProposedVariation, status=201, errors=(409,), tag=T),
    api.get(f"{P}/variations", list_variations, "Variations of an awarded package", auth=BOTH, returns=list[VariationOut], tag=T),
    api.post(f"{P}/variations/{{variation_id}}/accept", accept_variation,
             "Accept a variation the other side proposed (issues the next purchase order version; "
             "an already accepted one answers 200 and issues nothing)",
             auth=BOTH, returns=VariationOut, errors=(403, 409), tag=T),
    api.post(f"{P}/variations/{{variation_id}}/decline", decline_variation, "Decline a variation the other side proposed",
             auth=BOTH, body=DeclineInput, returns=VariationOut, errors=(403, 409), tag=T),
]
