"""Pages anyone may read (accessibility statement, privacy, cookies) and the HTML error
pages a browser gets instead of the API's JSON."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from web.pages.render import SESSION_COOKIE, page

ERRORS = {
    403: ("You do not have permission to see this page", "Your account cannot open this page. If you think it should, ask your administrator."),
    404: ("Page not found", "If you typed the web address, check it is correct. If you pasted it, check you copied the whole address."),
}


def wants_html(request: Request) -> bool:
    """A browser asking for a page, not an API client."""
    path = request.url.path
    if path.startswith(("/api/", "/hooks/", "/ws", "/static/")) or path in ("/healthz", "/readyz", "/metrics", "/openapi.json"):
        return False
    return "text/html" in request.headers.get("accept", "")


async def _user(request: Request):  # type: ignore[no-untyped-def]
    token = request.cookies.get(SESSION_COOKIE)
    try:
        return await request.state.brokerage.accounts.authenticate(token) if token else None
    except Exception:  # an error page must render even when the store is unwell
        return None


async def error_page(request: Request, status: int) -> Response:
    title, body = ERRORS.get(status, ERRORS[404])
    return page(request, "error.html", await _user(request), status=status, title=title, body=body)


def _static(template: str):  # type: ignore[no-untyped-def]
    async def show(request: Request) -> Response:
        return page(request, template, await _user(request))
    return show


routes = [
    Route("/accessibility", _static("accessibility.html"), methods=["GET"]),
    Route("/privacy", _static("privacy.html"), methods=["GET"]),
    Route("/cookies", _static("cookies.html"), methods=["GET"]),
]
