"""HTTP-facing errors, in the contract's shape."""

from __future__ import annotations

from matcher import BrokerageError


class HttpError(BrokerageError):
    def __init__(self, status: int, code: str, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message, code=code, fields=fields)
        self.status = status
        self.headers: dict[str, str] | None = None


def not_logged_in() -> HttpError:
    return HttpError(401, "not_logged_in", "Sign in first: send Authorization: Bearer <token>.")


def error_body(code: str, message: str, fields: dict[str, str] | None = None) -> dict:
    error: dict = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return {"error": error}
