"""The request boundary: every API route is declared once with who may call it, the typed
body and query it takes and what it returns. From that one declaration the route checks
the caller, parses the body and query string into typed inputs (errors in the contract's
shape, naming the field), refuses path ids that cannot exist before any Redis call, and
`web/openapi.py` writes the route's OpenAPI entry. Nothing is described twice.

Adding a typed route is one line in the module's `routes` list:

    api.post("/api/packages/{package_id}/questions", ask, "Ask the broker a question",
             auth=PROVIDER, body=QuestionInput, returns=Created, status=201, errors=(404, 409))

and a handler `async def ask(call: Call) -> Response` that reads `call.body` (a
QuestionInput), `call.user`, `call.param("package_id")` and answers with `ok(...)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from accounts import User
from core import is_id
from matcher import Invalid, NotFound, field_errors
from web.errors import HttpError
from web.http import current_user

MAX_BODY = 1_000_000
M = TypeVar("M", bound=BaseModel)

# Who may call a route: nobody signed in, anyone signed in, or these roles (an admin has
# every broker right, see `current_user`).
PUBLIC: tuple[str, ...] | None = None
ANYONE: tuple[str, ...] = ()
BROKER = ("broker",)
PROVIDER = ("provider",)
ADMIN = ("admin",)

# Path parameters ending in `_id` must look like an id; anything else is a 404, unseen by Redis.
NOUNS = {"package_id": "package", "offer_id": "offer", "provider_id": "provider", "user_id": "user",
         "slot_id": "availability", "area_id": "area", "webhook_id": "webhook endpoint", "delivery_id": "delivery"}


@dataclass(frozen=True)
class Call:
    """One parsed request, as a handler receives it."""

    request: Request
    user: User | None
    body: Any
    query: Any

    def param(self, name: str) -> str:
        return self.request.path_params[name]

    @property
    def me(self) -> User:
        assert self.user is not None, "only on routes that require sign-in"
        return self.user


Handler = Callable[[Call], Awaitable[Response]]


@dataclass(frozen=True)
class Operation:
    """Everything the route does at its boundary and everything its documentation says."""

    method: str
    path: str
    summary: str
    auth: tuple[str, ...] | None
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    returns: Any = None
    status: int = 200
    errors: tuple[int, ...] = ()
    media: str = "application/json"
    # A body that is not JSON (e.g. "text/csv"): the handler reads it; the document says so.
    body_media: str = ""
    description: str = ""
    tag: str = ""
    extra_responses: dict[int, str] = field(default_factory=dict)
    # Other media types the success answer may take (e.g. text/csv), with what they hold.
    extra_media: dict[str, str] = field(default_factory=dict)

    @property
    def path_ids(self) -> list[str]:
        return [name for name in _path_params(self.path) if name.endswith("_id")]

    def statuses(self) -> dict[int, str]:
        """Every status this route can answer, with why (for the OpenAPI document)."""
        out = {self.status: "Done."}
        if self.body is not None:
            out[400] = "The body is not JSON (or not valid UTF-8, or nested too deep)."
            out[413] = "The body is too large."
        if self.body is not None or self.query is not None:
            out[422] = "A field is invalid; `fields` names each one."
        if self.auth is not None:
            out[401] = "Not signed in."
        if self.auth:
            out[403] = "Your role does not allow this."
        if self.path_ids:
            out[404] = "Not found, or not visible to you."
        for status in self.errors:
            out.setdefault(status, REASONS.get(status, "Refused."))
        out.update(self.extra_responses)
        out[503] = "The store cannot be reached; try again after Retry-After."
        return dict(sorted(out.items()))


REASONS = {400: "Bad request.", 401: "Not signed in.", 403: "Not allowed.", 404: "Not found, or not visible to you.",
           409: "The record's state does not allow this.", 422: "A field is invalid.", 423: "The account is locked.",
           429: "Too many attempts; try again after Retry-After."}


class ApiRoute(Route):
    """A Starlette route that carries its Operation (read by `web/openapi.py`)."""

    operation: Operation


def route(op: Operation, handler: Handler) -> ApiRoute:
    async def endpoint(request: Request) -> Response:
        user = None
        if op.auth is not None:
            user = await current_user(request, *op.auth)
        for name in op.path_ids:
            if not is_id(request.path_params[name]):
                raise NotFound(f"No such {NOUNS.get(name, name.removesuffix('_id'))}.")
        query = parse_query(request, op.query) if op.query is not None else None
        body = await parse_body(request, op.body) if op.body is not None else None
        return await handler(Call(request, user, body, query))

    endpoint.__name__ = handler.__name__
    endpoint.__doc__ = handler.__doc__
    api_route = ApiRoute(op.path, endpoint, methods=[op.method])
    api_route.operation = op
    return api_route


def _declare(method: str) -> Callable[..., ApiRoute]:
    def declare(path: str, handler: Handler, summary: str, *, auth: tuple[str, ...] | None, **details: Any) -> ApiRoute:
        return route(Operation(method, path, summary, auth, **details), handler)
    declare.__name__ = method.lower()
    return declare


get, post, put, patch, delete = (_declare(m) for m in ("GET", "POST", "PUT", "PATCH", "DELETE"))


def _path_params(path: str) -> list[str]:
    return [part[1:-1].split(":")[0] for part in path.split("/") if part.startswith("{") and part.endswith("}")]


# -- parsing ----------------------------------------------------------------------------------

async def parse_body(request: Request, model: type[M]) -> M:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise HttpError(413, "body_too_large", "The request body is too large.")
    if not raw.strip():
        raw = b"{}"  # no body: every field is missing, reported as such
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        malformed = next((e for e in exc.errors() if e["type"] == "json_invalid"), None)
        if malformed is not None:
            reason = str(malformed.get("ctx", {}).get("error", "")) or "it cannot be parsed"
            raise HttpError(400, "malformed_json", f"The request body is not valid JSON: {reason}.") from None
        raise invalid(exc, model) from None


def parse_query(request: Request, model: type[M]) -> M:
    try:
        return model.model_validate(dict(request.query_params))
    except ValidationError as exc:
        raise invalid(exc, model) from None


def invalid(exc: ValidationError, model: type[BaseModel]) -> Invalid:
    """One Invalid naming every field at fault ("visits[0].band" for itemised fields)."""
    return Invalid(field_errors(exc, model))
