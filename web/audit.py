"""Who is making an administrative change, and why, as the stores take it: the store that
makes the change writes the audit entry in the change's own transaction."""

from __future__ import annotations

from typing import Any

from accounts import User
from core import AuditNote


def reason_of(given: Any) -> str | None:
    """The optional `reason` a typed change carries (the pages require one for status changes)."""
    return getattr(given, "reason", None)


def note(actor: User, reason: str | None = None) -> AuditNote:
    return AuditNote(actor_id=actor.id, actor_email=actor.email, reason=reason or None)
