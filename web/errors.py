"""Errors on the wire: the contract's shape, and the one table that gives each exception
its HTTP status (like httpx's `map_httpcore_exceptions`). Domain exceptions carry a code,
a message and the fields at fault; only this module knows statuses.

A new domain exception needs a row in `STATUSES` (or inherits its parent's row)."""

from __future__ import annotations

from typing import Any

from accounts import (
    AccountBusy,
    AccountDeactivated,
    AccountError,
    AccountLocked,
    EmailTaken,
    InvalidCredentials,
    InvalidSubscription,
    TooManyDevices,
    UnknownUser,
)
from matcher import BrokerageError, Conflict, Forbidden, Invalid, NotFound
from webhooks import WebhookBusy, WebhookError, UnknownDelivery, UnknownEndpoint


class HttpError(Exception):
    """The web layer's own refusals (not signed in, wrong role, malformed JSON, rate limit):
    these are about HTTP itself, so they carry their status."""

    def __init__(self, status: int, code: str, message: str, fields: dict[str, str] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields
        self.headers = headers


# Most specific first is not needed: the lookup walks each exception's MRO.
STATUSES: dict[type[Exception], int] = {
    BrokerageError: 400,
    Invalid: 422,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    AccountError: 400,
    InvalidCredentials: 401,
    UnknownUser: 404,
    EmailTaken: 409,
    AccountLocked: 423,
    AccountDeactivated: 403,
    InvalidSubscription: 422,
    TooManyDevices: 409,
    AccountBusy: 409,
    WebhookError: 400,
    UnknownEndpoint: 404,
    UnknownDelivery: 404,
    WebhookBusy: 409,
}
DOMAIN_ERRORS: tuple[type[Exception], ...] = (BrokerageError, AccountError, WebhookError)


def status_of(exc: Exception) -> int:
    if isinstance(exc, HttpError):
        return exc.status
    for cls in type(exc).__mro__:
        if cls in STATUSES:
            return STATUSES[cls]
    return 500


def error_response_parts(exc: Exception) -> tuple[int, dict[str, Any], dict[str, str] | None]:
    """(status, body, headers) for a domain or web error."""
    code = getattr(exc, "code", "error")
    message = getattr(exc, "message", str(exc))
    return status_of(exc), error_body(code, message, getattr(exc, "fields", None)), getattr(exc, "headers", None)


def not_logged_in() -> HttpError:
    return HttpError(401, "not_logged_in", "Sign in first: send Authorization: Bearer <token>.")


def error_body(code: str, message: str, fields: dict[str, str] | None = None) -> dict:
    error: dict = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return {"error": error}
