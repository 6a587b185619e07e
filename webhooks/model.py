"""Endpoints the council's own systems registered, and the log of what was sent to them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"

# Every event type the service writes to its log, with who hears it; an endpoint subscribes
# to some of them (and the OpenAPI document lists them under `webhooks`).
EVENTS: dict[str, str] = {
    "package.posted": "A package was posted (brokers).",
    "package.matched": "A provider was matched: the redacted package (that provider, and brokers).",
    "package.wave_released": "The next tier was released (brokers).",
    "package.declined": "A provider declined (brokers, and that provider's own team).",
    "package.awaiting_award": "The deadline passed with offers (brokers).",
    "package.awarded": "A package was awarded (brokers).",
    "package.unplaced": "No offers after the last wave (brokers).",
    "package.withdrawn": "A package was withdrawn (brokers).",
    "package.closed": "A matched provider's package closed: {package_id, reason: awarded_elsewhere|withdrawn|deadline}.",
    "package.handed_back": "The awarded provider handed a package back (brokers).",
    "offer.submitted": "An offer was made (brokers, and that provider's own team).",
    "offer.withdrawn": "An offer was withdrawn (brokers, and that provider's own team).",
    "offer.accepted": "Your offer was accepted (that provider, and brokers).",
    "offer.declined": "Your offer was declined (that provider, and brokers).",
    "deadline.reminder": "A silent matched provider is reminded of the deadline.",
    "deadline.extension_requested": "A matched provider asked for more time (brokers).",
    "deadline.extension_refused": "The broker refused more time (that provider, and brokers).",
    "deadline.extended": "The deadline moved later (every matched provider, and brokers).",
    "question.asked": "A matched provider asked a question (brokers).",
    "question.answered": "The broker answered: published to every matched provider, or privately to the asker.",
    "purchase_order.issued": "A purchase order version was issued on award or an accepted variation (the awarded provider, and brokers).",
    "variation.proposed": "A variation of an awarded package was proposed (the other side, and brokers).",
    "variation.accepted": "A variation was accepted; its purchase order follows (both sides, and brokers).",
    "variation.declined": "A variation was declined (both sides, and brokers).",
    "availability.posted": "A provider declared availability (brokers).",
    "availability.deleted": "A provider removed availability (brokers).",
    "notification.sent": "An email, SMS or push message was sent (brokers).",
    "notification.delivered": "Twilio reported an SMS delivered (brokers).",
    "notification.failed": "A notification gave up after its retries (brokers).",
}
EVENT_TYPES: tuple[str, ...] = tuple(EVENTS)
# Events not about one package share one lane per endpoint.
NO_PACKAGE = "-"


@dataclass(frozen=True)
class Endpoint:
    id: str
    url: str
    events: tuple[str, ...]
    secret: str = field(repr=False)
    created_at: str = ""
    created_by: str = ""
    # Only events after this one are sent: registering does not replay the past.
    start_after: str = "0-0"

    def wants(self, event_type: str) -> bool:
        return event_type in self.events

    def public(self) -> dict[str, Any]:
        """What GET /api/webhooks shows: everything but the secret."""
        return {"id": self.id, "url": self.url, "events": list(self.events), "created_at": self.created_at}

    def to_hash(self) -> dict[str, str]:
        return {"id": self.id, "url": self.url, "events": json.dumps(list(self.events)), "secret": self.secret,
                "created_at": self.created_at, "created_by": self.created_by, "start_after": self.start_after}

    @classmethod
    def from_hash(cls, raw: dict[str, str]) -> Endpoint:
        return cls(id=raw["id"], url=raw["url"], events=tuple(json.loads(raw["events"])), secret=raw["secret"],
                   created_at=raw.get("created_at", ""), created_by=raw.get("created_by", ""),
                   start_after=raw.get("start_after", "0-0"))


@dataclass(frozen=True)
class Delivery:
    id: str
    endpoint_id: str
    event_id: str
    type: str
    lane: str
    body: str  # the exact JSON sent, so a retry signs and sends the same bytes
    status: str = PENDING
    attempts: int = 0
    last_status_code: int | None = None
    last_error: str = ""
    created_at: float = 0.0
    next_attempt_at: float = 0.0
    delivered_at: str = ""
    lease_token: str = ""
    lease_until: float = 0.0

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "event_id": self.event_id, "type": self.type, "status": self.status,
                "attempts": self.attempts, "last_status_code": self.last_status_code,
                "last_error": self.last_error or None, "delivered_at": self.delivered_at or None,
                "package_id": None if self.lane == NO_PACKAGE else self.lane}

    def to_hash(self) -> dict[str, str]:
        return {"id": self.id, "endpoint_id": self.endpoint_id, "event_id": self.event_id, "type": self.type,
                "lane": self.lane, "body": self.body, "status": self.status, "attempts": str(self.attempts),
                "last_status_code": "" if self.last_status_code is None else str(self.last_status_code),
                "last_error": self.last_error, "created_at": repr(self.created_at),
                "next_attempt_at": repr(self.next_attempt_at), "delivered_at": self.delivered_at,
                "lease_token": self.lease_token, "lease_until": repr(self.lease_until)}

    @classmethod
    def from_hash(cls, raw: dict[str, str]) -> Delivery:
        code = raw.get("last_status_code") or ""
        return cls(id=raw["id"], endpoint_id=raw["endpoint_id"], event_id=raw["event_id"], type=raw["type"],
                   lane=raw["lane"], body=raw["body"], status=raw.get("status", PENDING),
                   attempts=int(raw.get("attempts") or 0), last_status_code=int(code) if code else None,
                   last_error=raw.get("last_error", ""), created_at=float(raw.get("created_at") or 0),
                   next_attempt_at=float(raw.get("next_attempt_at") or 0), delivered_at=raw.get("delivered_at", ""),
                   lease_token=raw.get("lease_token", ""), lease_until=float(raw.get("lease_until") or 0))


def event_order(event_id: str) -> float:
    """A lane's score for an event: stream ids in order (milliseconds, then the sequence
    within one millisecond; one transaction never writes thousands of events)."""
    ms, _, seq = event_id.partition("-")
    return int(ms) * 4096 + min(int(seq or 0), 4095)
