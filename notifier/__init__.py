"""Email and SMS notifications: planned from the event stream, delivered exactly once."""

from notifier.errors import NotifierError, PermanentError, TransientError

__all__ = ["NotifierError", "PermanentError", "TransientError"]
