"""The back office's API (admin): users listed, deactivated and reactivated; the audit trail
of every administrative change, filtered, paged and as CSV."""

from __future__ import annotations

from starlette.responses import Response

from core import AuditFilter, audit_csv
from matcher import Conflict, Invalid
from web import api, audit
from web.api import ADMIN, Call
from web.http import brokerage, ok
from web.inputs import AuditQuery, ReasonNote, UserQuery, moment_bounds
from web.outputs import AuditPage, ListedUser, UserPage


def audit_filter(query: AuditQuery) -> AuditFilter:
    bounds = moment_bounds(query.from_, query.to)
    if bounds["from"] is not None and bounds["to"] is not None and bounds["from"] > bounds["to"]:
        raise Invalid({"from": "must not be after to"})
    return AuditFilter(action=query.action or None, target_id=query.target_id or None, actor=query.actor or None,
                       q=query.q or None, since=bounds["from"], until=bounds["to"])


async def list_audit(call: Call) -> Response:
    query: AuditQuery = call.query
    where = audit_filter(query)
    trail = brokerage(call.request).audit
    if query.format == "csv":
        entries, _ = await trail.list(where, limit=1_000_000)
        return Response(audit_csv(entries), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="audit.csv"'})
    entries, total = await trail.list(where, offset=(query.page - 1) * query.per_page, limit=query.per_page)
    return ok({"items": [e.to_dict() for e in entries], "total": total, "page": query.page, "per_page": query.per_page})


async def list_users(call: Call) -> Response:
    query: UserQuery = call.query
    accounts = brokerage(call.request).accounts
    users = await accounts.list(q=query.q.lower() or None, role=query.role or None, provider_id=query.provider_id or None)
    shown = users[(query.page - 1) * query.per_page: query.page * query.per_page]
    locked = await accounts.locked_among([u.id for u in shown])
    return ok({"items": [{**u.listed(), "locked": u.id in locked} for u in shown], "total": len(users),
               "page": query.page, "per_page": query.per_page})


async def deactivate(call: Call) -> Response:
    return await _set_active(call, False)


async def reactivate(call: Call) -> Response:
    return await _set_active(call, True)


async def _set_active(call: Call, active: bool) -> Response:
    admin = call.me
    user_id = call.param("user_id")
    if not active and user_id == admin.id:
        raise Conflict("You cannot deactivate your own account; ask another administrator.", code="cannot_deactivate_self")
    _, after = await brokerage(call.request).accounts.set_active(user_id, active, note=audit.note(admin, audit.reason_of(call.body)))
    return ok(after.listed())


routes = [
    api.get("/api/audit", list_audit, "The audit trail of administrative changes, newest first (JSON, or CSV with ?format=csv)",
            auth=ADMIN, query=AuditQuery, returns=AuditPage, tag="back office",
            extra_media={"text/csv": "every matching entry, one row each"}),
    api.get("/api/users", list_users, "List users, newest first", auth=ADMIN, query=UserQuery, returns=UserPage,
            tag="back office"),
    api.post("/api/users/{user_id}/deactivate", deactivate, "Deactivate a user (every session and socket ends at once)",
             auth=ADMIN, body=ReasonNote, returns=ListedUser, errors=(409,), tag="back office"),
    api.post("/api/users/{user_id}/reactivate", reactivate, "Reactivate a user", auth=ADMIN, body=ReasonNote,
             returns=ListedUser, tag="back office"),
]
