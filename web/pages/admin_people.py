"""Back office: users (list and search, create team logins, brokers and admins, unlock,
deactivate and reactivate) and the audit trail of every administrative change."""

from __future__ import annotations

from urllib.parse import quote

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from accounts import ROLES, AccountError
from config import MAX_PASSWORD, MIN_PASSWORD
from core import AuditFilter, audit_csv, parse_moment
from web import audit
from web.pages.admin_forms import read_form
from web.pages.dates import read_range
from web.pages.render import guarded, page, page_number, page_user, redirect

PER_PAGE = 25
ROLE_WORDS = [("provider", "Provider team member: sees and answers packages for one provider"),
              ("broker", "Broker: posts packages and awards them"), ("admin", "Administrator: runs the back office")]
ACTIONS = [("", "Any change"), ("area.", "Areas"), ("provider.", "Providers"), ("provider.status_changed", "Provider status changes"),
           ("user.", "Users"), ("user.deactivated", "Users deactivated"),
           ("webhook.", "Integrations")]
DONE = {"deactivated": "The user is deactivated and signed out everywhere.", "reactivated": "The user can sign in again.",
        "unlocked": "The account is unlocked.", "created": "The user is created. Give them their email address and password."}


async def users_list(request: Request) -> Response:
    user = await page_user(request, "admin")
    accounts = request.state.brokerage.accounts
    q = (request.query_params.get("q") or "").strip()
    role = request.query_params.get("role") or ""
    everyone = await accounts.list(q=q.lower() or None, role=role if role in ROLES else None)
    page_n = page_number(request.query_params.get("page"))
    pages = max(1, -(-len(everyone) // PER_PAGE))
    page_n = max(1, min(page_n, pages))
    shown = everyone[(page_n - 1) * PER_PAGE: page_n * PER_PAGE]
    locked = await accounts.locked_among([u.id for u in shown])
    names = {p.id: p.name for p in await request.state.brokerage.providers.list()}
    return page(request, "admin_users.html", user, users=shown, locked=locked, names=names, q=q, role=role, total=len(everyone),
                page_n=page_n, pages=pages, done=DONE.get(request.query_params.get("done") or "", ""))


async def user_new(request: Request) -> Response:
    user = await page_user(request, "admin")
    return await _new_form(request, user, {"provider_id": request.query_params.get("provider_id") or ""}, {})


async def _new_form(request: Request, user, values: dict, errors: dict, status: int = 200) -> Response:  # type: ignore[no-untyped-def]
    providers = sorted(await request.state.brokerage.providers.list(), key=lambda p: p.name.lower())
    return page(request, "admin_user_new.html", user, status=status, v=values, errors=errors, roles=ROLE_WORDS, providers=providers)


async def user_create(request: Request) -> Response:
    admin = await page_user(request, "admin")
    service = request.state.brokerage
    form = await read_form(request)
    values = {"email": form.one("email").lower(), "role": form.one("role"), "provider_id": form.one("provider_id"), "password": ""}
    password = form.one("password")
    errors: dict[str, str] = {}
    if "@" not in values["email"] or "." not in values["email"].split("@")[-1]:
        errors["email"] = "Enter an email address in the correct format, like name@example.com"
    if values["role"] not in ROLES:
        errors["role"] = "Select what the user does"
    elif values["role"] == "provider" and not await service.providers.exists(values["provider_id"]):
        errors["provider_id"] = "Select the provider this person works for"
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        errors["password"] = f"Enter a password of {MIN_PASSWORD} to {MAX_PASSWORD} characters"
    if not errors:
        try:
            made = await service.accounts.create(values["email"], password, values["role"],
                                                 values["provider_id"] if values["role"] == "provider" else None, note=audit.note(admin))
        except AccountError as exc:
            errors["email"] = "A user with this email address already exists" if exc.code == "email_taken" else exc.message
        else:
            return redirect(f"/admin/users?q={quote(made.email)}&done=created")
    return await _new_form(request, admin, values, errors, status=422)


async def user_action(request: Request) -> Response:
    admin = await page_user(request, "admin")
    service = request.state.brokerage
    user_id, action = request.path_params["user_id"], request.path_params["action"]
    target = await service.accounts.get(user_id)
    if target is None or action not in ("deactivate", "reactivate", "unlock") or (action == "deactivate" and user_id == admin.id):
        return redirect("/admin/users")
    form = await read_form(request)
    note = audit.note(admin, form.one("reason"))
    if action == "unlock":
        await service.accounts.unlock(user_id, note=note)
    else:
        await service.accounts.set_active(user_id, action == "reactivate", note=note)
    done = {"unlock": "unlocked", "deactivate": "deactivated", "reactivate": "reactivated"}[action]
    back = form.one("q")
    return redirect(f"/admin/users?done={done}" + (f"&q={quote(back)}" if back else ""))


async def audit_page(request: Request) -> Response:
    user = await page_user(request, "admin")
    q = request.query_params
    wanted = {k: (q.get(k) or "").strip()[:200] for k in ("action", "actor", "q", "target_id")}
    # From and to: the GOV.UK date input (day, month, year), or ISO dates from a link.
    span = read_range(q)
    errors = span.errors
    days = span.iso()
    where = AuditFilter(action=wanted["action"] or None, actor=wanted["actor"] or None, q=wanted["q"] or None,
                        target_id=wanted["target_id"] or None,
                        since=parse_moment(days["from"], day_end=False) if "from" in days and not errors else None,
                        until=parse_moment(days["to"], day_end=True) if "to" in days and not errors else None)
    trail = request.state.brokerage.audit
    if q.get("format") == "csv" and not errors:
        entries, _ = await trail.list(where, limit=1_000_000)
        return Response(audit_csv(entries), media_type="text/csv; charset=utf-8", headers={"Content-Disposition": 'attachment; filename="audit.csv"'})
    page_n = page_number(q.get("page"))
    entries, total = await trail.list(where, offset=(max(page_n, 1) - 1) * PER_PAGE, limit=PER_PAGE) if not errors else ([], 0)
    # Links (pages, CSV) carry the range as ISO dates: short, and read back the same.
    query = urlencode({k: v for k, v in {**wanted, **(days if not errors else {})}.items() if v})
    return page(request, "admin_audit.html", user, status=422 if errors else 200, entries=entries, total=total, wanted=wanted,
                actions=ACTIONS, errors=errors, span=span, query=query, page_n=page_n, pages=max(1, -(-total // PER_PAGE)))


routes = [
    Route("/admin/users", guarded(users_list), methods=["GET"]),
    Route("/admin/users/new", guarded(user_new), methods=["GET"]),
    Route("/admin/users/new", guarded(user_create), methods=["POST"]),
    Route("/admin/users/{user_id}/{action}", guarded(user_action), methods=["POST"]),
    Route("/admin/audit", guarded(audit_page), methods=["GET"]),
]
