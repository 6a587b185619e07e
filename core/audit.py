"""The administrative audit trail: who changed which area, provider or user, when, from
what to what, and why. One Redis Stream, newest read first; never edited, only appended.

An entry is written by the store that makes the change, queued in the change's own
MULTI/EXEC (like `EventLog.queue`): the two commit together or not at all, so no change
lands without its entry when a process dies or Redis refuses a call. The caller says who
and why with an `AuditNote`; the store says what, from what, to what.

Package decisions have their own trail (each package's history); this one is the back
office's: the framework and the people allowed to use the service."""

from __future__ import annotations

import csv
import io
import json
import time
from dataclasses import asdict, dataclass
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from config import keys
from core.cells import spreadsheet_cell
from core.time import iso

CSV_COLUMNS = ("id", "at", "actor_email", "action", "target_type", "target_id", "target_name", "reason", "changes", "before", "after")


@dataclass
class AuditEntry:
    action: str  # e.g. provider.created, provider.status_changed, user.deactivated
    actor_id: str
    actor_email: str
    target_type: str  # area, provider, user
    target_id: str
    target_name: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str | None = None
    at: str = ""
    id: str = ""

    @property
    def changes(self) -> list[str]:
        """The fields whose value differs between before and after."""
        before, after = self.before or {}, self.after or {}
        return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k) and k != "updated_at")

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "changes": self.changes}


@dataclass(frozen=True)
class AuditNote:
    """Who is making an administrative change, and why: handed to the store's method that
    makes it, which queues the entry in the same transaction as the change."""

    actor_id: str
    actor_email: str
    reason: str | None = None

    def queue(self, pipe: Pipeline, action: str, target_type: str, target_id: str, target_name: str,
              before: dict[str, Any] | None, after: dict[str, Any] | None) -> AuditEntry:
        """Queue the entry for `action` on the target inside `pipe`'s MULTI (after
        `pipe.multi()` when the pipeline WATCHes); it is written at EXEC, with the change."""
        entry = AuditEntry(action=action, actor_id=self.actor_id, actor_email=self.actor_email, target_type=target_type,
                           target_id=target_id, target_name=target_name, before=before, after=after, reason=self.reason)
        queue_entry(pipe, entry)
        return entry


def queue_entry(pipe: Pipeline, entry: AuditEntry) -> None:
    # A WATCHing pipeline runs commands at once until MULTI: an entry written that way would
    # land even if the change's EXEC then failed, the very gap this queueing closes.
    if not (pipe.is_transaction or pipe.explicit_transaction) or (pipe.watching and not pipe.explicit_transaction):
        raise RuntimeError("an audit entry is queued inside the change's MULTI (call pipe.multi() first)")
    entry.at = entry.at or iso(time.time())
    body = {k: v for k, v in asdict(entry).items() if k != "id"}
    pipe.xadd(keys.AUDIT, {"entry": json.dumps(body)}, maxlen=keys.AUDIT_MAX, approximate=True)


@dataclass(frozen=True)
class AuditFilter:
    action: str | None = None  # exact action, or a prefix ending in "." (provider.)
    target_id: str | None = None
    actor: str | None = None  # actor id or email
    q: str | None = None  # words in the target's name or the reason
    since: float | None = None
    until: float | None = None

    def keeps(self, entry: AuditEntry) -> bool:
        if self.action and not (entry.action == self.action or (self.action.endswith(".") and entry.action.startswith(self.action))):
            return False
        if self.target_id and entry.target_id != self.target_id:
            return False
        if self.actor and self.actor.lower() not in (entry.actor_id.lower(), entry.actor_email.lower()):
            return False
        if self.q:
            text = f"{entry.target_name} {entry.reason or ''} {entry.target_id}".lower()
            if self.q.lower() not in text:
                return False
        return True


class AuditTrail:
    """Reading the trail. Writing is only ever `AuditNote.queue`, inside a change's MULTI."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def list(self, where: AuditFilter, *, offset: int = 0, limit: int = 50) -> tuple[list[AuditEntry], int]:
        """Matching entries newest first, one page of them, and how many match in all."""
        high = str(int(where.until * 1000)) if where.until is not None else "+"
        low = str(int(where.since * 1000)) if where.since is not None else "-"
        kept: list[AuditEntry] = []
        async for entry in self._newest_first(high, low):
            if where.keeps(entry):
                kept.append(entry)
        return kept[offset:offset + limit], len(kept)

    async def _newest_first(self, high: str, low: str, batch: int = 1000):  # type: ignore[no-untyped-def]
        while True:
            rows = await self.redis.xrevrange(keys.AUDIT, max=high, min=low, count=batch)
            for entry_id, raw in rows:
                yield AuditEntry(**json.loads(raw["entry"]) | {"id": entry_id})
            if len(rows) < batch:
                return
            high = "(" + rows[-1][0]


def audit_csv(entries: list[AuditEntry]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for entry in entries:
        row = entry.to_dict()
        writer.writerow([
            spreadsheet_cell(json.dumps(row[c], sort_keys=True) if c in ("before", "after") and row[c] is not None else
                  " ".join(row[c]) if c == "changes" else row[c] or "")
            for c in CSV_COLUMNS
        ])
    return out.getvalue()
