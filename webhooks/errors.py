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
