"""The one exception family of the geo package, so callers can catch GeoError alone."""

from __future__ import annotations


class GeoError(Exception):
    """Root of every error raised on purpose by geo."""


class MalformedPostcode(GeoError, ValueError):
    """Text that is not shaped like a UK postcode (or outward code)."""


class UnknownPostcode(GeoError, LookupError):
    """Well-formed postcode that is not in Code-Point Open, or has no coordinates there."""


class InvalidCoverage(GeoError, ValueError):
    """A coverage entry that cannot be accepted.

    `message` is a whole sentence meant for the person who typed the entry, so the web
    layer can pass it straight into a 422 response.
    """

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
