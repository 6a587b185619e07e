"""Request helpers shared by the route modules: who is asking, responses (bodies are parsed in web/api.py)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from accounts import User
from matcher import Reader
from service import Brokerage
from web.csrf import bearer
from web.errors import HttpError, not_logged_in


def brokerage(request: Request) -> Brokerage:
    return request.state.brokerage


def bearer_token(request: Request) -> str | None:
    return bearer(request.headers.get("authorization", "")) or request.cookies.get("session") or None


async def current_user(request: Request, *roles: str) -> User:
    """The signed-in user; brokers' rights are also an admin's."""
    token = bearer_token(request)
    user = await brokerage(request).accounts.authenticate(token) if token else None
    if user is None:
        raise not_logged_in()
    allowed = set(roles)
    if "broker" in allowed:
        allowed.add("admin")
    if roles and user.role not in allowed:
        raise HttpError(403, "forbidden", "Your role does not allow this.")
    return user


def reader(user: User) -> Reader:
    return Reader(user_id=user.id, is_broker=user.is_broker, provider_id=user.provider_id)


def ok(body: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status)


def no_content() -> Response:
    return Response(status_code=204)
