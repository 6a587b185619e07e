"""Twilio status callbacks: check the signature, then move the record forward.

Twilio signs each callback with the account's auth token over the full URL it called
(PUBLIC_URL + path + query) and the form fields. Callbacks can arrive out of order (a
`sent` after `delivered`), so the outbox only ever moves a status forward.
"""

from __future__ import annotations

from typing import Mapping

from twilio.request_validator import RequestValidator

from notifier.model import DELIVERED, FAILED, SENT
from notifier.outbox import Outbox

# Twilio's MessageStatus -> ours; statuses not listed say nothing new.
STATUS = {"sent": SENT, "delivered": DELIVERED, "read": DELIVERED, "undelivered": FAILED, "failed": FAILED, "canceled": FAILED}


class Receipts:
    def __init__(self, outbox: Outbox, auth_token: str | None, public_url: str) -> None:
        self.outbox = outbox
        self.validator = RequestValidator(auth_token) if auth_token else None
        self.public_url = public_url.rstrip("/")

    def valid(self, path: str, query: str, params: Mapping[str, str], signature: str | None) -> bool:
        if self.validator is None or not signature:
            return False
        url = self.public_url + path + (f"?{query}" if query else "")
        return bool(self.validator.validate(url, dict(params), signature))

    async def apply(self, notification_id: str, params: Mapping[str, str]) -> bool:
        status = STATUS.get(params.get("MessageStatus", "") or params.get("SmsStatus", ""))
        if status is None or not notification_id:
            return False
        return await self.outbox.receipt(notification_id, status, params.get("MessageSid", ""))
