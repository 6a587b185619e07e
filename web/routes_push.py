"""Web Push (contract "Push to phones"): the VAPID public key and each device's subscription."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from starlette.responses import Response

from accounts import DEFAULT_CHANNELS, effective_preferences, parse_subscription
from notifier import application_server_key
from web import api
from web.api import ANYONE, PUBLIC, Call
from web.errors import HttpError
from web.http import brokerage, no_content, ok


class PushKeys(BaseModel):
    model_config = ConfigDict(extra="ignore")
    p256dh: str = ""
    auth: str = ""


class PushSubscriptionInput(BaseModel):
    """As the browser's PushSubscription.toJSON() gives it; the keys are checked in accounts."""

    model_config = ConfigDict(extra="ignore")
    endpoint: str = ""
    keys: PushKeys | None = None


class PublicKey(BaseModel):
    key: str


class SubscriptionOut(BaseModel):
    id: str
    endpoint: str
    created_at: str


async def public_key(call: Call) -> Response:
    # Public by nature (every subscribing browser gets it), so no sign-in needed.
    return ok({"key": application_server_key(brokerage(call.request).settings)})


async def subscribe(call: Call) -> Response:
    given: PushSubscriptionInput = call.body
    service = brokerage(call.request)
    endpoint, p256dh, auth = parse_subscription(given.model_dump(), service.settings.push.allow_hosts)
    user = call.me
    before = await service.subscriptions.ids_of([user.id])
    sub = await service.subscriptions.add(user.id, endpoint, p256dh, auth)
    if not before.get(user.id):
        # The first device: push becomes one of the user's channels for every urgency
        # ("default on once a subscription exists"); they can untick it afterwards.
        channels = effective_preferences(user.preferences)["channels"]
        wanted = {u: list(dict.fromkeys([*channels.get(u, DEFAULT_CHANNELS[u]), "push"])) for u in DEFAULT_CHANNELS}
        await service.accounts.set_preferences(user, {"channels": wanted})
    return ok({"id": sub.id, "endpoint": sub.endpoint, "created_at": sub.created_at}, 201)


async def unsubscribe(call: Call) -> Response:
    if not await brokerage(call.request).subscriptions.remove(call.me.id, call.param("subscription_id")):
        raise HttpError(404, "not_found", "No such push subscription of yours.")
    return no_content()


T = "push"
routes = [
    api.get("/api/push/public-key", public_key, "The VAPID application server key (base64url)", auth=PUBLIC,
            returns=PublicKey, tag=T),
    api.post("/api/me/push-subscriptions", subscribe, "Register this device's push subscription", auth=ANYONE,
             body=PushSubscriptionInput, returns=SubscriptionOut, status=201, errors=(409,), tag=T),
    api.delete("/api/me/push-subscriptions/{subscription_id}", unsubscribe, "Remove a push subscription",
               auth=ANYONE, status=204, errors=(404,), tag=T),
]
