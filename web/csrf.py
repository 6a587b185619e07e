"""CSRF protection for the pages: a double-submit token, as pure-ASGI middleware.

Every browser gets a random `csrf` cookie (readable by the page's JS, not HttpOnly). A
state-changing request that a browser could be tricked into sending must echo it, in the
`X-CSRF-Token` header (fetch from the pages) or a `csrf_token` form field (plain HTML forms).
That applies to unsafe requests that carry the `session` cookie, and to every unsafe request
to a page route (sign in, sign out) so nobody can be signed in to someone else's account.
API clients that send `Authorization: Bearer` are not cookie-authenticated and are exempt,
as are the API and provider webhooks when no session cookie is present.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import secrets
from http.cookies import SimpleCookie
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE = "csrf"
HEADER = b"x-csrf-token"
FIELD = "csrf_token"
SAFE = {"GET", "HEAD", "OPTIONS", "TRACE"}
MAX_FORM = 64_000
EXEMPT_PREFIXES = ("/api/", "/hooks/", "/ws")


def csrf_token(scope: Scope) -> str:
    """The token of this request for a template, masked afresh each time: the pages are
    compressed, and a secret repeated unchanged in compressed responses that also reflect
    input can be guessed from their sizes (BREACH). The middleware unmasks what comes back."""
    token = scope.get("state", {}).get("csrf_token", "")
    return mask(token) if token else ""


def mask(token: str) -> str:
    raw = token.encode()
    pad = secrets.token_bytes(len(raw))
    return base64.urlsafe_b64encode(pad + bytes(a ^ b for a, b in zip(pad, raw))).decode()


def matches(sent: str, token: str) -> bool:
    """The cookie's token sent back as it is (the pages' JS reads the cookie) or masked (forms)."""
    if hmac.compare_digest(sent.encode(), token.encode()):
        return True
    try:
        both = base64.b64decode(sent.encode(), altchars=b"-_", validate=True)
    except (ValueError, binascii.Error):
        return False
    half = len(both) // 2
    if len(both) % 2 or half != len(token.encode()):
        return False
    unmasked = bytes(a ^ b for a, b in zip(both[:half], both[half:]))
    return hmac.compare_digest(unmasked, token.encode())


class CSRFMiddleware:
    def __init__(self, app: ASGIApp, secure: bool = False) -> None:
        self.app = app
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        cookies = _cookies(headers.get(b"cookie", b"").decode("latin-1"))
        token = cookies.get(COOKIE, "")
        fresh = not _well_formed(token)
        if fresh:
            token = secrets.token_urlsafe(32)
        scope.setdefault("state", {})["csrf_token"] = token

        if scope["method"] not in SAFE and _needs_check(scope["path"], headers, cookies):
            sent = headers.get(HEADER, b"").decode("latin-1")
            if not sent and _is_form(headers):
                body, receive = await _buffer(receive)
                if body is None:
                    await _refuse(send, 413, "body_too_large", "The form is too large.", html=False)
                    return
                sent = (parse_qs(body.decode("utf-8", "replace")).get(FIELD) or [""])[0]
            if fresh or not sent or not matches(sent, token):
                await _refuse(send, 403, "csrf_failed", "This form has expired or did not come from this site. Go back, reload the page and try again.",
                              html=not scope["path"].startswith(EXEMPT_PREFIXES))
                return

        if not fresh:
            await self.app(scope, receive, send)
            return

        cookie = f"{COOKIE}={token}; Path=/; SameSite=Lax" + ("; Secure" if self.secure else "")

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"set-cookie", cookie.encode("latin-1"))]
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def bearer(header: str) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, else None. The one parser for
    both authentication and the CSRF exemption, so they agree on which credential is used."""
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def _needs_check(path: str, headers: dict[bytes, bytes], cookies: dict[str, str]) -> bool:
    if bearer(headers.get(b"authorization", b"").decode("latin-1")):
        return False  # the token authenticates, not a cookie the browser adds by itself
    if cookies.get("session"):
        return True
    return not path.startswith(EXEMPT_PREFIXES)


def _well_formed(token: str) -> bool:
    return 20 <= len(token) <= 100 and all(c.isalnum() or c in "-_" for c in token)


def _cookies(header: str) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header)
    except Exception:  # a malformed Cookie header is the client's problem: treat as none
        return {}
    return {name: morsel.value for name, morsel in jar.items()}


def _is_form(headers: dict[bytes, bytes]) -> bool:
    return headers.get(b"content-type", b"").split(b";")[0].strip().lower() == b"application/x-www-form-urlencoded"


async def _buffer(receive: Receive) -> tuple[bytes | None, Receive]:
    """Read the whole body, then hand the app a receive that replays it."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_FORM:
            return None, receive
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


async def _refuse(send: Send, status: int, code: str, message: str, html: bool) -> None:
    if html:
        body = (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Try again</title></head>'
                f'<body><h1>Try again</h1><p>{message}</p></body></html>').encode()
        kind = b"text/html; charset=utf-8"
    else:
        body = json.dumps({"error": {"code": code, "message": message}}).encode()
        kind = b"application/json"
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
