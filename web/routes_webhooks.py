"""Integration webhooks (contract "Integration webhooks", admin): endpoints registered with
the event types they want, their delivery log, and sending one delivery again."""

from __future__ import annotations

import unicodedata
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, Field, StringConstraints
from starlette.responses import Response

from matcher import Input, no_controls
from web import api, audit
from web.api import ADMIN, Call
from web.http import brokerage, no_content, ok
from webhooks import EVENT_TYPES, UnknownDelivery, kick_lane


def _receiver_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("Enter the receiver's full address, starting with https://")
    if parts.username or parts.password:
        raise ValueError("Leave the user name and password out of the address; every delivery is signed instead")
    if parts.fragment:
        raise ValueError("Leave out the part after #")
    try:
        port = parts.port  # urlsplit checks it only when asked
    except ValueError:
        port = 0
    if port == 0:
        raise ValueError("The port after the colon must be a number from 1 to 65535")
    # Spaces, and invisible characters such as right-to-left overrides, make the address an
    # admin reads on the page differ from the one deliveries go to.
    if any(char.isspace() or unicodedata.category(char) == "Cf" for char in value):
        raise ValueError("Leave spaces and invisible characters out of the address")
    return value


ReceiverUrl = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000), no_controls(""),
                        AfterValidator(_receiver_url), Field(examples=["https://finance.example.gov.uk/hooks/brokerage"])]
EventType = Literal[EVENT_TYPES]


class WebhookInput(Input):
    url: ReceiverUrl
    events: Annotated[list[EventType], Field(min_length=1, max_length=len(EVENT_TYPES)),
                      AfterValidator(lambda v: list(dict.fromkeys(v)))]


class WebhookOut(BaseModel):
    id: str
    url: str
    events: list[str]
    created_at: str


class WebhookCreated(WebhookOut):
    secret: str = Field(description="whsec_… : verify each delivery's webhook-signature with it; shown only now")


class DeliveryOut(BaseModel):
    id: str
    event_id: str
    type: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    last_status_code: int | None
    last_error: str | None = None
    delivered_at: str | None = None
    package_id: str | None = None


async def register(call: Call) -> Response:
    given: WebhookInput = call.body
    endpoint = await brokerage(call.request).webhook_endpoints.register(given.url, list(given.events), audit.note(call.me))
    return ok({**endpoint.public(), "secret": endpoint.secret}, 201)


async def list_endpoints(call: Call) -> Response:
    return ok([endpoint.public() for endpoint in await brokerage(call.request).webhook_endpoints.all()])


async def delete(call: Call) -> Response:
    await brokerage(call.request).webhook_endpoints.delete(call.param("webhook_id"), audit.note(call.me))
    return no_content()


async def deliveries(call: Call) -> Response:
    service = brokerage(call.request)
    endpoint = await service.webhook_endpoints.get(call.param("webhook_id"))
    return ok([d.public() for d in await service.webhook_deliveries.for_endpoint(endpoint.id)])


async def resend(call: Call) -> Response:
    service = brokerage(call.request)
    endpoint = await service.webhook_endpoints.get(call.param("webhook_id"))
    delivery = await service.webhook_deliveries.get(call.param("delivery_id"))
    if delivery is None or delivery.endpoint_id != endpoint.id:
        raise UnknownDelivery()
    if await service.webhook_deliveries.resend(endpoint, delivery, audit.note(call.me)):
        await kick_lane(service.arq, endpoint.id, delivery.lane)
    return ok((await service.webhook_deliveries.get(delivery.id) or delivery).public(), 202)


T = "webhooks"
routes = [
    api.post("/api/webhooks", register, "Register a receiver for event types; the answer holds its signing secret",
             auth=ADMIN, body=WebhookInput, returns=WebhookCreated, status=201, tag=T),
    api.get("/api/webhooks", list_endpoints, "The registered receivers (without secrets)", auth=ADMIN,
            returns=list[WebhookOut], tag=T),
    api.delete("/api/webhooks/{webhook_id}", delete, "Stop sending to a receiver", auth=ADMIN, status=204,
               errors=(404,), tag=T),
    api.get("/api/webhooks/{webhook_id}/deliveries", deliveries, "A receiver's deliveries, newest first",
            auth=ADMIN, returns=list[DeliveryOut], errors=(404,), tag=T),
    api.post("/api/webhooks/{webhook_id}/deliveries/{delivery_id}/resend", resend,
             "Send a delivery again (same webhook-id: receivers that keep ids ignore a copy)", auth=ADMIN,
             returns=DeliveryOut, status=202, errors=(404,), tag=T),
]
