"""The accounts package's exceptions: one root, no HTTP status (web/errors.py maps them)."""

from __future__ import annotations


class AccountError(Exception):
    code = "account_error"

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields


class EmailTaken(AccountError):
    code = "email_taken"


class AccountBusy(AccountError):
    """Changed by another request at the same moment, too often to settle: try again."""

    code = "busy"


class UnknownUser(AccountError):
    code = "not_found"


class InvalidCredentials(AccountError):
    code = "invalid_credentials"


class AccountLocked(AccountError):
    code = "account_locked"


class AccountDeactivated(AccountError):
    code = "account_deactivated"


class InvalidSubscription(AccountError):
    code = "invalid"


class TooManyDevices(AccountError):
    code = "too_many_devices"
