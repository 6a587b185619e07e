"""Rendering a page: templates, the signed-in user from the session cookie, and the
headers every page carries."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Awaitable, Callable
from urllib.parse import quote
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from accounts import User
from web.csrf import csrf_token

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).resolve().parent.parent / "templates"))
SESSION_COOKIE = "session"
# Pages load nothing from elsewhere: scripts, styles, images and sockets are all this site's.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
UK = ZoneInfo("Europe/London")


def example_date(days: int = 0, after: str | None = None) -> str:
    """A date for a hint's "For example", `days` from today in the UK (or from the stored UTC
    time `after`), as the fields take it (a fixed example had become a date in the past)."""
    start = datetime.fromisoformat(after.replace("Z", "+00:00")) if after else datetime.now(UK)
    day = start.astimezone(UK).date() + timedelta(days=days)
    return f"{day.day} {day.month} {day.year}"


TEMPLATES.env.globals["example_date"] = example_date


class Refused(Exception):
    """A signed-in user whose role may not open the page: an HTML 403."""


class Redirect(Exception):
    def __init__(self, url: str) -> None:
        self.url = url


def page_number(raw: str | None) -> int:
    """`?page=` as a page number, 1 for anything else: "²" passes str.isdigit() but not int(),
    and int() refuses more than 4,300 digits, so neither check alone keeps a page from a 500."""
    text = (raw or "").strip()
    return max(1, int(text)) if text.isascii() and text.isdigit() and len(text) <= 9 else 1


def home_of(user: User) -> str:
    return "/broker" if user.is_broker else "/provider"


async def page_user(request: Request, *roles: str) -> User:
    """The user signed in with the session cookie, or a redirect to sign in / to their home."""
    token = request.cookies.get(SESSION_COOKIE)
    user = await request.state.brokerage.accounts.authenticate(token) if token else None
    if user is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise Redirect(f"/login?next={quote(target, safe='')}")
    allowed = set(roles) | ({"admin"} if "broker" in roles else set())
    if roles and user.role not in allowed:
        if roles == ("admin",):
            raise Refused()
        raise Redirect(home_of(user))
    return user


def page(request: Request, template: str, user: User | None, status: int = 200, **context: Any) -> Response:
    settings = request.state.brokerage.settings
    context = {
        "user": user, "csrf_token": csrf_token(request.scope), "path": request.url.path,
        "price_min": settings.price_min, "price_max": settings.price_max, **context,
    }
    response = TEMPLATES.TemplateResponse(request, template, context, status_code=status)
    response.headers["content-security-policy"] = CSP
    return response


def redirect(url: str) -> Response:
    return RedirectResponse(url, status_code=303)


def guarded(handler: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
    """A page handler whose Redirect (not signed in, wrong role) becomes a 303."""

    @functools.wraps(handler)
    async def run(request: Request) -> Response:
        try:
            return await handler(request)
        except Redirect as exc:
            return redirect(exc.url)
        except Refused:
            from web.pages.public import error_page  # the error page renders with this module

            return await error_page(request, 403)

    return run
