"""The back office's API (admin): users listed, deactivated and reactivated; the audit trail
of every administrative change, filtered, paged and as CSV."""

from __future__ import annotations

from typing import Any, Mapping

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from accounts import ROLES
from core import AuditFilter, audit_csv, parse_moment
from matcher import Conflict, Invalid
from web import audit
from web.http import brokerage, current_user, json_body, ok

MAX_PER_PAGE = 200


def paging(query: Mapping[str, str], default: int = 50) -> tuple[int, int]:
    errors: dict[str, str] = {}
    values = {}
    for name, fallback, high in (("page", 1, 1_000_000), ("per_page", default, MAX_PER_PAGE)):
        raw = query.get(name) or str(fallback)
        if not raw.isdigit() or not 1 <= int(raw) <= high:
            errors[name] = f"must be a whole number from 1 to {high}"
        else:
            values[name] = int(raw)
    if errors:
        raise Invalid(errors)
    return values["page"], values["per_page"]


def audit_filter(query: Mapping[str, str]) -> AuditFilter:
    errors: dict[str, str] = {}
    bounds: dict[str, float | None] = {"from": None, "to": None}
    for name, day_end in (("from", False), ("to", True)):
        raw = (query.get(name) or "").strip()
        if raw:
            try:
                bounds[name] = parse_moment(raw, day_end=day_end)
            except ValueError as exc:
                errors[name] = str(exc)
    if errors:
        raise Invalid(errors)
    if bounds["from"] is not None and bounds["to"] is not None and bounds["from"] > bounds["to"]:
        raise Invalid({"from": "must not be after to"})

    def text(name: str) -> str | None:
        return (query.get(name) or "").strip()[:200] or None

    return AuditFilter(action=text("action"), target_id=text("target_id"), actor=text("actor"), q=text("q"),
                       since=bounds["from"], until=bounds["to"])


async def list_audit(request: Request) -> Response:
    await current_user(request, "admin")
    query = request.query_params
    where = audit_filter(query)
    trail = brokerage(request).audit
    if query.get("format") == "csv":
        entries, _ = await trail.list(where, limit=1_000_000)
        return Response(audit_csv(entries), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="audit.csv"'})
    if query.get("format") not in (None, "", "json"):
        raise Invalid({"format": "must be json or csv"})
    page, per_page = paging(query)
    entries, total = await trail.list(where, offset=(page - 1) * per_page, limit=per_page)
    return ok({"items": [e.to_dict() for e in entries], "total": total, "page": page, "per_page": per_page})


async def list_users(request: Request) -> Response:
    await current_user(request, "admin")
    query = request.query_params
    role = query.get("role") or None
    if role is not None and role not in ROLES:
        raise Invalid({"role": f"must be one of: {', '.join(ROLES)}"})
    accounts = brokerage(request).accounts
    users = await accounts.list(q=(query.get("q") or "").strip().lower() or None, role=role, provider_id=query.get("provider_id") or None)
    page, per_page = paging(query)
    shown = users[(page - 1) * per_page: page * per_page]
    locked = await accounts.locked_among([u.id for u in shown])
    return ok({"items": [{**u.listed(), "locked": u.id in locked} for u in shown], "total": len(users), "page": page, "per_page": per_page})


async def deactivate(request: Request) -> Response:
    return await _set_active(request, False)


async def reactivate(request: Request) -> Response:
    return await _set_active(request, True)


async def _set_active(request: Request, active: bool) -> Response:
    admin = await current_user(request, "admin")
    body: Any = await json_body(request)
    user_id = request.path_params["user_id"]
    if not active and user_id == admin.id:
        raise Conflict("You cannot deactivate your own account; ask another administrator.", code="cannot_deactivate_self")
    before, after = await brokerage(request).accounts.set_active(user_id, active)
    action = "user.reactivated" if active else "user.deactivated"
    await audit.record(request, admin, action, "user", after.id, after.email, before.listed(), after.listed(), audit.reason_of(body))
    return ok(after.listed())


routes = [
    Route("/api/audit", list_audit, methods=["GET"]),
    Route("/api/users", list_users, methods=["GET"]),
    Route("/api/users/{user_id}/deactivate", deactivate, methods=["POST"]),
    Route("/api/users/{user_id}/reactivate", reactivate, methods=["POST"]),
]
