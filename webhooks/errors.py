"""The webhooks package's exceptions: one root, each with the contract's error code. They
carry no HTTP status: `web/errors.py` maps each class to its status in one table."""

from __future__ import annotations


class WebhookError(Exception):
    code = "bad_request"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnknownEndpoint(WebhookError):
    code = "not_found"

    def __init__(self, endpoint_id: str = "") -> None:
        super().__init__("No such webhook endpoint.")


class UnknownDelivery(WebhookError):
    code = "not_found"

    def __init__(self, delivery_id: str = "") -> None:
        super().__init__("No such delivery of this webhook endpoint.")


class WebhookBusy(WebhookError):
    """Changed by another request at the same moment, too often to settle: try again."""

    code = "busy"


def busy() -> WebhookError:
    return WebhookBusy("This webhook endpoint is being changed by someone else at this moment; try again.")
