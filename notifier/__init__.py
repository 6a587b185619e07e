"""Email, SMS and Web Push notifications: planned from the event stream, delivered exactly once."""

from notifier import jobs
from notifier.devbox import DevOutbox
from notifier.errors import NotifierError, PermanentError, TransientError
from notifier.outbox import Outbox
from notifier.receipts import Receipts
from notifier.replies import ReplyCodes, TextReplies, parse_reply, reply_code
from notifier.runtime import INBOUND_PATH, STATUS_PATH, Notifier, sms_sender
from notifier.vapid import application_server_key

__all__ = [
    "INBOUND_PATH", "STATUS_PATH", "DevOutbox", "Notifier", "NotifierError", "Outbox", "PermanentError", "Receipts",
    "ReplyCodes", "TextReplies", "TransientError", "application_server_key", "jobs",
    "parse_reply", "reply_code", "sms_sender",
]
