"""Accounts: sign in and out, users, unlock, the signed-in user and preferences."""

from __future__ import annotations

from starlette.responses import Response

from accounts import effective_preferences
from matcher import Invalid
from web import api, audit
from web.api import ADMIN, ANYONE, PUBLIC, Call
from web.http import bearer_token, brokerage, no_content, ok
from web.inputs import LoginInput, NewUserInput, PreferencesInput
from web.outputs import Me, NewUser, Session
from web.ratelimit import sign_in


async def login(call: Call) -> Response:
    service = brokerage(call.request)
    given: LoginInput = call.body
    token, user = await sign_in(call.request, service, given.email, given.password)
    return ok({"token": token, "user": user.public()})


async def logout(call: Call) -> Response:
    token = bearer_token(call.request)
    if token:
        await brokerage(call.request).accounts.logout(token)
    return no_content()


async def create_user(call: Call) -> Response:
    service = brokerage(call.request)
    given: NewUserInput = call.body
    if given.role == "provider":
        if given.provider_id is None or not await service.providers.exists(given.provider_id):
            raise Invalid({"provider_id": "must name an existing provider for a provider user"})
    elif given.provider_id is not None:
        raise Invalid({"provider_id": "only provider users belong to a provider"})
    user = await service.accounts.create(given.email, given.password, given.role, given.provider_id, note=audit.note(call.me))
    return ok({**user.public(), "created_at": user.created_at}, 201)


async def unlock(call: Call) -> Response:
    await brokerage(call.request).accounts.unlock(call.param("user_id"), note=audit.note(call.me))
    return no_content()


async def me(call: Call) -> Response:
    return ok(call.me.with_preferences())


async def preferences(call: Call) -> Response:
    given: PreferencesInput = call.body
    changes = given.changes()
    _texts_need_phone(changes, effective_preferences({**call.me.preferences, **changes}))
    updated = await brokerage(call.request).accounts.set_preferences(call.me, changes)
    return ok(updated.with_preferences())



def _texts_need_phone(changes: dict, prefs: dict) -> None:
    """Text messages ticked with no number to send them to would fail silently: say so.
    Only when this request ticks them or removes the number (the default red channels
    include SMS for users who have never saved a phone)."""
    if prefs["phone"] or not ("channels" in changes or "phone" in changes):
        return
    texted = [u for u in ("red", "amber", "green") if "sms" in prefs["channels"].get(u, [])]
    asked = [u for u in texted if "sms" in ((changes.get("channels") or {}).get(u) or [])]
    if asked or ("phone" in changes and texted):
        message = "Text messages need a mobile number: add one, or untick text message for " + ", ".join(texted)
        raise Invalid({"phone": message, "channels": message})


T = "accounts"
routes = [
    api.post("/api/auth/login", login, "Sign in; the token goes in Authorization: Bearer", auth=PUBLIC,
             body=LoginInput, returns=Session, errors=(401, 423, 429), tag=T),
    api.post("/api/auth/logout", logout, "Sign out; the token stops working", auth=ANYONE, status=204, tag=T),
    api.post("/api/users", create_user, "Create a user", auth=ADMIN, body=NewUserInput, returns=NewUser, status=201,
             errors=(409,), tag=T),
    api.post("/api/users/{user_id}/unlock", unlock, "Unlock a locked account", auth=ADMIN, status=204, tag=T),
    api.get("/api/me", me, "The signed-in user with preferences", auth=ANYONE, returns=Me, tag=T),
    api.put("/api/me/preferences", preferences, "Change notification preferences", auth=ANYONE,
            body=PreferencesInput, returns=Me, tag=T),
]
