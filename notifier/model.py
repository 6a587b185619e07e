"""A notification record: one message to one user on one channel about one package event."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, fields
from typing import Any

CHANNELS = ("email", "sms", "push")
QUEUED, SENDING, SENT, DELIVERED, FAILED = "queued", "sending", "sent", "delivered", "failed"
TERMINAL = (DELIVERED, FAILED)
# How far along each status is: receipts only ever move a record forward.
RANK = {QUEUED: 0, SENDING: 1, SENT: 2, DELIVERED: 3, FAILED: 3}


def notification_id(user_id: str, package_id: str, event: str, channel: str) -> str:
    """Derived from the idempotency key, so every process names the same message the same way
    (and arq's job id, which is this id, deduplicates the job too)."""
    digest = hashlib.sha256(f"{user_id}|{package_id}|{event}|{channel}".encode()).hexdigest()
    return f"ntf_{digest[:20]}"


@dataclass
class Notification:
    id: str
    user_id: str
    package_id: str
    event: str
    channel: str
    device: str = ""  # push: the subscription (one record per device, so one dead phone fails alone)
    key_event: str = ""  # the event part of the idempotency key when it differs (reminders: per wave)
    status: str = QUEUED
    attempts: int = 0
    provider_message_id: str = ""
    event_id: str = ""
    urgency: str = ""
    created_at: str = ""
    updated_at: str = ""
    not_before: float = 0.0  # quiet hours: not sent before this epoch
    lease_until: float = 0.0  # while "sending": another executor waits until this epoch
    lease_token: str = ""
    queued_at: float = 0.0  # epoch the record was made (for enqueue-to-sent latency)
    finished_at: float = 0.0  # epoch it was sent or failed
    error: str = ""
    # What the message says (district, deadline, reason...), fixed when the record is made so
    # every attempt sends the same text.
    context: dict[str, Any] = field(default_factory=dict)

    @property
    def channel_key(self) -> str:
        """The channel part of the idempotency key: per device for push."""
        return f"{self.channel}:{self.device}" if self.device else self.channel

    def to_hash(self) -> dict[str, str]:
        # Field by field rather than dataclasses.asdict, whose deep copy of the context was a
        # visible share of planning a burst.
        out: dict[str, str] = {}
        for name in _NAMES:
            value = getattr(self, name)
            out[name] = json.dumps(value, separators=(",", ":")) if name == "context" else str(value)
        return out

    @classmethod
    def from_hash(cls, raw: dict[str, str]) -> Notification:
        values: dict[str, Any] = {}
        for name, kind in _KINDS.items():
            if name not in raw:
                continue
            text = raw[name]
            if name == "context":
                values[name] = json.loads(text or "{}")
            elif kind == "int":
                values[name] = int(text or 0)
            elif kind == "float":
                values[name] = float(text or 0)
            else:
                values[name] = text
        return cls(**values)

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id, "user_id": self.user_id, "package_id": self.package_id, "channel": self.channel,
            # The contract's statuses: queued|sent|delivered|failed. "sending" is a lease taken
            # while an attempt runs; until it ends the message is still waiting to go.
            "device": self.device or None, "event": self.event, "status": QUEUED if self.status == SENDING else self.status,
            "attempts": self.attempts,
            "provider_message_id": self.provider_message_id or None, "created_at": self.created_at,
            "updated_at": self.updated_at, "error": self.error or None,
        }


_KINDS = {f.name: f.type for f in fields(Notification)}
_NAMES = tuple(_KINDS)
