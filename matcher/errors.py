"""The matcher's exceptions: one root, each with the contract's error code and, for invalid
input, the fields at fault. They carry no HTTP status: `web/errors.py` maps each class to
its status in one table."""

from __future__ import annotations


class BrokerageError(Exception):
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.fields = fields


class Invalid(BrokerageError):
    """A field the client sent cannot be accepted (`fields`: name -> what is wrong)."""

    code = "invalid_fields"

    def __init__(self, fields: dict[str, str], message: str | None = None) -> None:
        first = next(iter(fields.items()), ("input", "is invalid"))
        super().__init__(message or f"{first[0]}: {first[1]}", fields=fields)


class Forbidden(BrokerageError):
    code = "forbidden"


class NotFound(BrokerageError):
    """No such record, or not one the reader may see (the two are not told apart)."""

    code = "not_found"


class Conflict(BrokerageError):
    """The record's state does not allow this (already awarded, not live, ...)."""

    code = "conflict"
