"""The matcher's exceptions. Each carries the contract's status and error code so the web
layer can answer without knowing the domain."""

from __future__ import annotations


class BrokerageError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.fields = fields


class Invalid(BrokerageError):
    status = 422
    code = "invalid_fields"

    def __init__(self, fields: dict[str, str], message: str | None = None) -> None:
        first = next(iter(fields.items()), ("input", "is invalid"))
        super().__init__(message or f"{first[0]}: {first[1]}", fields=fields)


class Forbidden(BrokerageError):
    status = 403
    code = "forbidden"


class NotFound(BrokerageError):
    status = 404
    code = "not_found"


class Conflict(BrokerageError):
    status = 409
    code = "conflict"
