"""Back office: integrations. An admin registers the council's receivers (case management,
finance) for the events they need, sees each one's deliveries and sends one again. The form
goes through the API's own typed input, so the page and `POST /api/webhooks` agree."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core import is_id, iso
from matcher import Invalid
from web import audit
from web.pages.admin_forms import read_form, typed, when, words_for
from web.pages.render import guarded, page, page_user, redirect
from web.routes_webhooks import WebhookInput
from webhooks import EVENTS, UnknownEndpoint, kick_lane

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


# Each event type in words an admin reads at a glance; the type's name, which the people
# building the receiver need, is shown beside it as a hint.
WORDS = {
    "package.posted": "A package is posted",
    "package.matched": "A provider is matched to a package",
    "package.wave_released": "A package is sent to the next tier of providers",
    "package.declined": "A provider declines a package",
    "package.awaiting_award": "A package's deadline passes with offers to choose from",
    "package.awarded": "A package is awarded",
    "package.unplaced": "A package gets no offers after the last tier",
    "package.withdrawn": "A package is withdrawn",
    "package.closed": "A package closes for a provider (awarded to another, withdrawn or past its deadline)",
    "package.handed_back": "The awarded provider hands a package back",
    "offer.submitted": "A provider makes an offer",
    "offer.withdrawn": "A provider withdraws its offer",
    "offer.accepted": "An offer is accepted",
    "offer.declined": "An offer is declined",
    "deadline.reminder": "A provider that has not answered is reminded of the deadline",
    "deadline.extension_requested": "A provider asks for more time",
    "deadline.extension_refused": "A broker refuses more time",
    "deadline.extended": "A broker extends a package's deadline",
    "question.asked": "A provider asks a question about a package",
    "question.answered": "A broker answers a question",
    "purchase_order.issued": "A purchase order is issued (on award or an accepted change)",
    "variation.proposed": "A change to the care (variation) is proposed",
    "variation.accepted": "A change to the care is accepted",
    "variation.declined": "A change to the care is declined",
    "availability.posted": "A provider says when it has carers available",
    "availability.deleted": "A provider removes its availability",
    "notification.sent": "An email, text message or push message is sent",
    "notification.delivered": "A text message is reported delivered",
    "notification.failed": "An email, text or push message could not be sent after every retry",
}


def event_words(name: str) -> str:
    return WORDS.get(name) or EVENTS.get(name, name).split(" (")[0].rstrip(".")


def event_groups() -> list[tuple[str, list[tuple[str, str]]]]:
    return [(title, [(name, event_words(name)) for name in EVENTS if name.startswith(prefix)])
            for title, prefix in GROUPS]


async def receivers(request: Request) -> Response:
    user = await page_user(request, "admin")
    endpoints = await request.state.brokerage.webhook_endpoints.all()
    return page(request, "admin_webhooks.html", user, endpoints=endpoints, groups=event_groups(), v={"events": SUGGESTED},
                errors={}, when=when, done=DONE.get(request.query_params.get("done") or "", ""), event_words=event_words)


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
                    groups=event_groups(), v=values, errors=errors, when=when, done="", event_words=event_words)
    endpoint = await service.webhook_endpoints.register(given.url, list(given.events), audit.note(admin))
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
    # Each delivery's package by the council's reference, which is what an admin knows it by.
    packages = await service.packages.load_many(sorted({d.lane for d in deliveries if is_id(d.lane, "pkg")}))
    references = {pid: p.reference for pid, p in packages.items() if p.reference}
    return page(request, "admin_webhook.html", user, endpoint=endpoint, deliveries=deliveries, words=STATUS_WORDS, references=references, iso=iso,
                when=when, done=DONE.get(request.query_params.get("done") or "", ""), event_words=event_words)


async def delete(request: Request) -> Response:
    admin = await page_user(request, "admin")
    service = request.state.brokerage
    endpoint_id = request.path_params["webhook_id"]
    if is_id(endpoint_id, "whk"):
        try:
            await service.webhook_endpoints.delete(endpoint_id, audit.note(admin))
        except UnknownEndpoint:
            pass  # already gone (another admin, another tab): what was asked for is so
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
    if await service.webhook_deliveries.resend(endpoint, delivery, audit.note(admin)):
        await kick_lane(service.arq, endpoint_id, delivery.lane)
    return redirect(f"/admin/webhooks/{endpoint_id}?done=resent")


routes = [
    Route("/admin/webhooks", guarded(receivers), methods=["GET"]),
    Route("/admin/webhooks", guarded(register), methods=["POST"]),
    Route("/admin/webhooks/{webhook_id}", guarded(receiver), methods=["GET"]),
    Route("/admin/webhooks/{webhook_id}/delete", guarded(delete), methods=["POST"]),
    Route("/admin/webhooks/{webhook_id}/deliveries/{delivery_id}/resend", guarded(resend), methods=["POST"]),
]
