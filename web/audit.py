"""Recording an administrative change in the audit trail, from a route that made it."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from accounts import User
from core import AuditEntry
from web.http import brokerage


def reason_of(given: Any) -> str | None:
    """The optional `reason` a typed change carries (the pages require one for status changes)."""
    return getattr(given, "reason", None)


async def record(
    request: Request, actor: User, action: str, target_type: str, target_id: str, target_name: str,
    before: dict[str, Any] | None, after: dict[str, Any] | None, reason: str | None = None,
) -> None:
    await brokerage(request).audit.record(AuditEntry(
        action=action, actor_id=actor.id, actor_email=actor.email, target_type=target_type,
        target_id=target_id, target_name=target_name, before=before, after=after, reason=reason,
    ))
