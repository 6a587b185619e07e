"""The notifier's exceptions: one root, and the two kinds of failure delivery cares about.

Library errors (aiosmtplib, twilio, aiohttp) are translated into these at the boundary, so
the delivery loop decides on retry or give-up without knowing any transport.
"""

from __future__ import annotations


class NotifierError(Exception):
    """Root of everything the notifier raises."""


class TransientError(NotifierError):
    """Worth trying again later (connection refused, 5xx, 429)."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class PermanentError(NotifierError):
    """Trying again cannot help (invalid number, rejected recipient, bad credentials)."""

