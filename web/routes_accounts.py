"""Accounts: sign in and out, users, unlock, the signed-in user and preferences."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from accounts import CHANNELS, ROLES
from matcher import FieldErrors
from web import audit
from web.http import bearer_token, brokerage, current_user, json_body, no_content, ok
from web.ratelimit import check_login_rate

MIN_PASSWORD = 12


async def login(request: Request) -> Response:
    service = brokerage(request)
    await check_login_rate(request, service.redis, service.settings.login_rate_per_min)
    check = FieldErrors(await json_body(request))
    email = check.text("email", max_len=254)
    password = check.text("password", max_len=1024)
    check.raise_if_any()
    token, user = await service.accounts.login(email or "", password or "")
    return ok({"token": token, "user": user.public()})


async def logout(request: Request) -> Response:
    await current_user(request)
    token = bearer_token(request)
    if token:
        await brokerage(request).accounts.logout(token)
    return no_content()


async def create_user(request: Request) -> Response:
    admin = await current_user(request, "admin")
    service = brokerage(request)
    check = FieldErrors(await json_body(request))
    email = check.email("email")
    password = check.required("password")
    if password is not None and (not isinstance(password, str) or len(password) < MIN_PASSWORD):
        check.add("password", f"must be at least {MIN_PASSWORD} characters")
    role = check.choice("role", ROLES)
    provider_id = check.body.get("provider_id")
    if role == "provider":
        if not isinstance(provider_id, str) or not await service.providers.exists(provider_id):
            check.add("provider_id", "must name an existing provider for a provider user")
    elif provider_id is not None:
        check.add("provider_id", "only provider users belong to a provider")
    check.raise_if_any()
    user = await service.accounts.create(email or "", password, role or "", provider_id if role == "provider" else None)
    await audit.record(request, admin, "user.created", "user", user.id, user.email, None, user.listed())
    return ok({**user.public(), "created_at": user.created_at}, 201)


async def unlock(request: Request) -> Response:
    admin = await current_user(request, "admin")
    accounts = brokerage(request).accounts
    user_id = request.path_params["user_id"]
    was_locked = await accounts.is_locked(user_id)
    await accounts.unlock(user_id)
    user = await accounts.get(user_id)
    assert user is not None
    await audit.record(request, admin, "user.unlocked", "user", user.id, user.email, {"locked": was_locked}, {"locked": False})
    return no_content()


async def me(request: Request) -> Response:
    user = await current_user(request)
    return ok(user.with_preferences())


async def preferences(request: Request) -> Response:
    user = await current_user(request)
    check = FieldErrors(await json_body(request))
    changes = {}
    if "phone" in check.body:
        changes["phone"] = check.phone("phone")
    if "email" in check.body:
        changes["email"] = check.email("email", required=False)
    if "channels" in check.body:
        changes["channels"] = _channels(check)
    if "quiet_hours" in check.body:
        changes["quiet_hours"] = _quiet_hours(check)
    check.raise_if_any()
    updated = await brokerage(request).accounts.set_preferences(user, changes)
    return ok(updated.with_preferences())


def _channels(check: FieldErrors) -> dict[str, list[str]] | None:
    raw = check.body["channels"]
    if not isinstance(raw, dict):
        check.add("channels", "must be an object like {\"red\": [\"ws\", \"sms\"]}")
        return None
    out = {}
    for urgency, channels in raw.items():
        if urgency not in ("red", "amber", "green"):
            check.add("channels", f"{urgency!r} is not an urgency (red, amber, green)")
            return None
        if not isinstance(channels, list) or any(c not in CHANNELS for c in channels):
            check.add("channels", f"channels for {urgency} must be a list of: {', '.join(CHANNELS)}")
            return None
        out[urgency] = list(dict.fromkeys(channels))
    return out


def _quiet_hours(check: FieldErrors) -> dict[str, str] | None:
    raw = check.body["quiet_hours"]
    if raw is None:
        return None
    if not isinstance(raw, dict):
        check.add("quiet_hours", "must be an object {start, end, tz}")
        return None
    for name in ("start", "end"):
        value = raw.get(name)
        if not isinstance(value, str) or not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
            check.add("quiet_hours", f"{name} must be a time HH:MM")
            return None
    tz = raw.get("tz", "Europe/London")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        check.add("quiet_hours", f"{tz!r} is not a known time zone")
        return None
    return {"start": raw["start"], "end": raw["end"], "tz": tz}


routes = [
    Route("/api/auth/login", login, methods=["POST"]),
    Route("/api/auth/logout", logout, methods=["POST"]),
    Route("/api/users", create_user, methods=["POST"]),
    Route("/api/users/{user_id}/unlock", unlock, methods=["POST"]),
    Route("/api/me", me, methods=["GET"]),
    Route("/api/me/preferences", preferences, methods=["PUT"]),
]
