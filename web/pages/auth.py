"""Sign in and sign out: the session cookie holds the same token as the API's login."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from config import MAX_PASSWORD
from web.errors import DOMAIN_ERRORS, HttpError, status_of
from web.ratelimit import sign_in
from web.pages.render import SESSION_COOKIE, guarded, home_of, page, page_user, redirect

MESSAGES = {
    "invalid_credentials": "Enter a correct email address and password. After {attempts} wrong attempts the account is locked for a while.",
    "account_locked": "This account is locked after too many wrong passwords. Try again later, or ask your administrator to unlock it.",
}


async def form_fields(request: Request) -> dict[str, str]:
    """A small urlencoded form (no python-multipart needed for two fields)."""
    body = (await request.body())[:64_000].decode("utf-8", "replace")
    return {name: values[0] for name, values in parse_qs(body).items()}


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site: never an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    return None if parts.scheme or parts.netloc else target


async def root(request: Request) -> Response:
    return redirect(home_of(await page_user(request)))


async def login_form(request: Request) -> Response:
    return page(request, "login.html", None, next=_safe_next(request.query_params.get("next")) or "", errors={}, email="",
                lockout_attempts=request.state.brokerage.settings.lockout_attempts)


async def login(request: Request) -> Response:
    form = await form_fields(request)
    email = str(form.get("email") or "").strip()
    password = str(form.get("password") or "")
    target = _safe_next(str(form.get("next") or ""))
    errors: dict[str, str] = {}
    if not email:
        errors["email"] = "Enter your email address"
    if not password:
        errors["password"] = "Enter your password"
    elif len(password) > MAX_PASSWORD:
        errors["password"] = f"Passwords are at most {MAX_PASSWORD} characters"
    service = request.state.brokerage
    attempts = service.settings.lockout_attempts
    if not errors:
        try:
            token, user = await sign_in(request, service, email, password)
        except (*DOMAIN_ERRORS, HttpError) as exc:
            errors["form"] = MESSAGES[exc.code].format(attempts=attempts) if exc.code in MESSAGES else exc.message
            return page(request, "login.html", None, status=status_of(exc), next=target or "", errors=errors, email=email,
                        code=exc.code, lockout_attempts=attempts)
        response = redirect(target or home_of(user))
        settings = request.state.brokerage.settings
        response.set_cookie(SESSION_COOKIE, token, max_age=settings.session_ttl_s, path="/", httponly=True,
                            samesite="lax", secure=settings.public_url.startswith("https:"))
        return response
    return page(request, "login.html", None, status=422, next=target or "", errors=errors, email=email, lockout_attempts=attempts)


async def logout(request: Request) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await request.state.brokerage.accounts.logout(token)
    response = redirect("/login?signed_out=1")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


routes = [
    Route("/", guarded(root), methods=["GET"]),
    Route("/login", login_form, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
]
