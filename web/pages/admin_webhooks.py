"""Back office: integrations. An admin registers the council's receivers (case management,
finance) for the events they need, sees each one's deliveries and sends one again. The form
goes through the API's own typed input, so the page and `POST /api/webhooks` agree."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core import AuditEntry, is_id
from matcher import Invalid
from web.pages.admin_forms import read_form, typed, when, words_for
from web.pages.render import guarded, page, page_user, redirect
from web.routes_webhooks import WebhookInput
from webhooks import EVENTS, kick_lane

GROUPS = [
    ("Packages", "package."), ("Offers", "offer."), ("Deadlines", "deadline."), ("Questions", "question."),
    ("Purchase orders and variations", ("purchase_order.", "variation.")), ("Availability", "availability."),
    ("Notifications sent to providers", "notification."),
]
PLAIN = {"url": "Enter the receiver's full address, like https://finance.example.gov.uk/hooks/brokerage",
         "events": "Select the events the receiver needs"}
# What a finance or case-management system usually needs: the award and what follows it.
SUGGESTED = ["package.awarded", "purchase_order.issued", "variation.accepted", "package.handed_back", "package.withdrawn"]
DONE = {"deleted": "The receiver is removed. Nothing more is sent to it.",
        "resent": "The delivery will be sent again in a moment, with the same webhook-id."}
STATUS_WORDS = {"pending": ("Waiting", "govuk-tag--yellow"), "delivered": ("Delivered", "govuk-tag--green"),
                "failed": ("Gave up", "govuk-tag--red")}


def event_groups() -> list[tuple[str, list[tuple[str, str]]]]:
    return [(title, [(name, f"{name}: {summary}") for name, summary in EVENTS.items() if name.startswith(prefix)])
            for title, prefix in GROUPS]


async def receivers(request: Request) -> Response:
    user = await page_user(request, "admin")
    endpoints = await request.state.brokerage.webhook_endpoints.all()
    return page(request, "admin_webhooks.html", user, endpoints=endpoints, groups=event_groups(), v={"events": SUGGESTED},
                errors={}, when=when, done=DONE.get(request.query_params.get("done") or "", ""))


async def register(request: Request) -> Response:
    admin = await page_user(request, "admin")
    service = request.state.brokerage
    form = await read_form(request)
    values = {"url": form.one("url"), "events": form.many("events")}
    try:
        given = typed(WebhookInput, values)
    except Invalid as exc:
        errors = words_for(exc.fields or {}, PLAIN)
        return page(request, "admin_webhooks.html", admin, status=422, endpoints=await service.webhook_endpoints.all(),
                    groups=event_groups(), v=values, errors=errors, when=when, done="")
    endpoint = await service.webhook_endpoints.register(given.url, list(given.events), admin.id)
    await service.audit.record(AuditEntry(action="webhook.registered", actor_id=admin.id, actor_email=admin.email,
                                          target_type="webhook", target_id=endpoint.id, target_name=endpoint.url,
                                          before=None, after=endpoint.public()))
    # The secret is shown on this page once and never put in a URL.
    return page(request, "admin_webhook_secret.html", admin, endpoint=endpoint)


async def receiver(request: Request) -> Response:
    user = await page_user(request, "admin")
    service = request.state.brokerage
    endpoint_id = request.path_params["webhook_id"]
    endpoint = await service.webhook_endpoints.find(endpoint_id) if is_id(endpoint_id, "whk") else None
    if endpoint is None:
        return page(request, "not_found.html", user, status=404)
    deliveries = await service.webhook_deliveries.for_endpoint(endpoint.id, limit=100)
    return page(request, "admin_webhook.html", user, endpoint=endpoint, deliveries=deliveries, words=STATUS_WORDS,
                when=when, done=DONE.get(request.query_params.get("done") or "", ""))


async def delete(request: Request) -> Response:
    admin = await page_user(request, "admin")
    service = request.state.brokerage
    endpoint_id = request.path_params["webhook_id"]
    endpoint = await service.webhook_endpoints.find(endpoint_id) if is_id(endpoint_id, "whk") else None
    if endpoint is not None:
        await service.webhook_endpoints.delete(endpoint.id)
        await service.audit.record(AuditEntry(action="webhook.deleted", actor_id=admin.id, actor_email=admin.email,
                                              target_type="webhook", target_id=endpoint.id, target_name=endpoint.url,
                                              before=endpoint.public(), after=None))
    return redirect("/admin/webhooks?done=deleted")


async def resend(request: Request) -> Response:
    admin = await page_user(request, "admin")
    service = request.state.brokerage
    endpoint_id, delivery_id = request.path_params["webhook_id"], request.path_params["delivery_id"]
    endpoint = await service.webhook_endpoints.find(endpoint_id) if is_id(endpoint_id, "whk") else None
    if endpoint is None:  # deleted (its deliveries outlive it in the log): nothing to send again
        return redirect("/admin/webhooks")
    delivery = await service.webhook_deliveries.get(delivery_id) if is_id(delivery_id, "dlv") else None
    if delivery is None or delivery.endpoint_id != endpoint_id:
        return redirect(f"/admin/webhooks/{endpoint_id}")
    if await service.webhook_deliveries.resend(delivery):
        await kick_lane(service.arq, endpoint_id, delivery.lane)
        await service.audit.record(AuditEntry(action="webhook.resent", actor_id=admin.id, actor_email=admin.email,
                                              target_type="webhook", target_id=endpoint_id, target_name=delivery.event_id,
                                              before=None, after={"delivery_id": delivery.id, "event_id": delivery.event_id}))
    return redirect(f"/admin/webhooks/{endpoint_id}?done=resent")


routes = [
    Route("/admin/webhooks", guarded(receivers), methods=["GET"]),
    Route("/admin/webhooks", guarded(register), methods=["POST"]),
    Route("/admin/webhooks/{webhook_id}", guarded(receiver), methods=["GET"]),
    Route("/admin/webhooks/{webhook_id}/delete", guarded(delete), methods=["POST"]),
    Route("/admin/webhooks/{webhook_id}/deliveries/{delivery_id}/resend", guarded(resend), methods=["POST"]),
]
