"""Endpoints the council's own systems registered, and the log of what was sent to them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"

# Every event type the service writes to its log; an endpoint subscribes to some of them.
EVENT_TYPES: tuple[str, ...] = (
    "package.posted", "package.matched", "package.wave_released", "package.declined", "package.awaiting_award",
    "package.awarded", "package.unplaced", "package.withdrawn", "package.closed", "package.handed_back",
    "offer.submitted", "offer.withdrawn", "offer.accepted", "offer.declined",
    "deadline.reminder", "deadline.extension_requested", "deadline.extension_refused", "deadline.extended",
    "question.asked", "question.answered",
    "purchase_order.issued", "variation.proposed", "variation.accepted", "variation.declined",
    "availability.posted", "availability.deleted",
    "notification.sent", "notification.delivered", "notification.failed",
)
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
