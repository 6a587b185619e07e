"""The OpenAPI 3.1 document, built from the routes' own declarations (`web/api.py`): the
same pydantic types that parse each body and query string give its request schema, the
output types in `web/outputs.py` its answers, `Operation.auth` its security and
`Operation.statuses()` its error answers. Nothing here is written by hand per route, so
the document cannot drift from what the service does.

Events are in `webhooks` (OpenAPI 3.1): each event type, as a socket sends it and as an
integration webhook delivers it (Standard Webhooks: `webhook-id` is the event id,
`webhook-timestamp`, `webhook-signature` v1 HMAC-SHA256 with the endpoint's secret)."""

from __future__ import annotations

from typing import Any, Iterable

from pydantic import TypeAdapter
from starlette.routing import BaseRoute

from core import ID_PATTERN
from web.api import ApiRoute, Operation
from web.outputs import Error, EventOut
from webhooks import EVENTS

REF = "#/components/schemas/{model}"

DESCRIPTION = """Real-time matching and notification service for home care brokerage.

Authenticate with `Authorization: Bearer <token>` from `POST /api/auth/login` (the pages use
the same token as the HttpOnly `session` cookie; cookie-authenticated changes also need the
`X-CSRF-Token` header). Each operation says which roles may call it; an admin has every
broker right.

Every error answers `{"error": {"code", "message", "fields"?}}`: 400 malformed JSON,
401 not signed in, 403 not allowed, 404 not found or not visible to you, 409 state
conflict, 422 invalid field (`fields` names each one), 423 account locked, 429 rate
limited, 503 store unreachable (with `Retry-After`).

Live events: `GET /ws` (WebSocket; `?token=`, `?after=<event id>` to resume). Each message
is an `Event`; the event types are listed under `webhooks`."""


def document(routes: Iterable[BaseRoute], *, version: str = "1") -> dict[str, Any]:
    operations = [r.operation for r in routes if isinstance(r, ApiRoute)]
    schemas = Schemas(operations)
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op, schemas)
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "info": {"title": "Home care brokerage", "version": version, "description": DESCRIPTION},
        "paths": paths,
        "webhooks": {name: _event(name, summary) for name, summary in EVENTS.items()},
        "components": {
            "schemas": schemas.defs,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "token from POST /api/auth/login"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session", "description": "the pages' sign-in"},
            },
        },
    }


def _types(operations: list[Operation]) -> list[tuple[tuple[str, str], str, TypeAdapter[Any]]]:
    found: list[tuple[tuple[str, str], str, TypeAdapter[Any]]] = [
        (("Error", "serialization"), "serialization", TypeAdapter(Error)),
        (("Event", "serialization"), "serialization", TypeAdapter(EventOut)),
    ]
    for op in operations:
        for kind, model, mode in (("body", op.body, "validation"), ("query", op.query, "validation"),
                                  ("returns", op.returns, "serialization")):
            if model is not None:
                found.append(((_key(op, kind), mode), mode, TypeAdapter(model)))
    return found


def _key(op: Operation, kind: str) -> str:
    return f"{op.method} {op.path} {kind}"


class Schemas:
    """Every type's schema at once, so each model is one entry in components.schemas."""

    def __init__(self, operations: list[Operation]) -> None:
        refs, top = TypeAdapter.json_schemas(_types(operations), ref_template=REF)  # type: ignore[arg-type]
        self.refs = refs
        self.defs: dict[str, Any] = top.get("$defs", {})

    def of(self, op: Operation, kind: str) -> dict[str, Any]:
        mode = "serialization" if kind == "returns" else "validation"
        return self.refs[((_key(op, kind), mode), mode)]  # type: ignore[index]

    def resolved(self, op: Operation, kind: str) -> dict[str, Any]:
        schema = self.of(op, kind)
        ref = schema.get("$ref")
        return self.defs[ref.rsplit("/", 1)[-1]] if ref else schema


def _operation(op: Operation, schemas: Schemas) -> dict[str, Any]:
    out: dict[str, Any] = {
        "summary": op.summary,
        "operationId": f"{op.method.lower()}_{op.path.strip('/').replace('/', '_').replace('{', '').replace('}', '').replace('-', '_')}",
        "tags": [op.tag] if op.tag else [],
    }
    roles = "anyone signed in" if op.auth == () else ", ".join(op.auth) if op.auth else "no sign-in"
    out["description"] = (op.description + "\n\n" if op.description else "") + f"Who: {roles}."
    out["security"] = [{"bearer": []}, {"session": []}] if op.auth is not None else []
    if op.auth:
        out["x-roles"] = list(op.auth)
    parameters = [
        {"name": name, "in": "path", "required": True,
         "schema": {"type": "string", "pattern": _id_pattern()} if name.endswith("_id") else {"type": "string", "maxLength": 16}}
        for name in _path_names(op.path)
    ]
    if op.query is not None:
        query_schema = schemas.resolved(op, "query")
        required = set(query_schema.get("required", []))
        for name, prop in query_schema.get("properties", {}).items():
            parameters.append({"name": name, "in": "query", "required": name in required, "schema": prop})
    if parameters:
        out["parameters"] = parameters
    if op.body is not None:
        out["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": schemas.of(op, "body")}}}
    elif op.body_media:
        out["requestBody"] = {"required": True, "content": {op.body_media: {"schema": {"type": "string"}}}}
    out["responses"] = _responses(op, schemas)
    return out


def _responses(op: Operation, schemas: Schemas) -> dict[str, Any]:
    error = {"application/json": {"schema": {"$ref": REF.format(model="Error")}}}
    responses: dict[str, Any] = {}
    for status, why in op.statuses().items():
        if status == op.status:
            entry: dict[str, Any] = {"description": why}
            if op.returns is not None:
                content = {op.media or "application/json": {"schema": schemas.of(op, "returns")}}
                for media, what in op.extra_media.items():
                    content[media] = {"schema": {"type": "string", "description": what}}
                entry["content"] = content
            if status in (301, 302, 303, 307):
                entry["headers"] = {"Location": {"schema": {"type": "string"}}}
            responses[str(status)] = entry
        else:
            entry = {"description": why, "content": error}
            if status in (429, 503):
                entry["headers"] = {"Retry-After": {"schema": {"type": "string"}}}
            responses[str(status)] = entry
    return responses


SIGNATURE_HEADERS = (
    ("webhook-id", "The event id: the same delivery retried keeps it, so a receiver can ignore a copy."),
    ("webhook-timestamp", "Seconds since the epoch when this attempt was signed."),
    ("webhook-signature", "v1,<base64 HMAC-SHA256 of '<webhook-id>.<webhook-timestamp>.<body>' with the secret's bytes>"),
)


def _event(name: str, summary: str) -> dict[str, Any]:
    return {"post": {
        "summary": name,
        "description": summary + " Sent on `/ws` to its audience, and to integration webhooks subscribed to it.",
        "parameters": [{"name": header, "in": "header", "required": True, "schema": {"type": "string"}, "description": why}
                       for header, why in SIGNATURE_HEADERS],
        "requestBody": {"content": {"application/json": {"schema": {"allOf": [
            {"$ref": REF.format(model="EventOut")}, {"properties": {"type": {"const": name}}}]}}}},
        "responses": {"200": {"description": "Any 2xx acknowledges the delivery."}},
    }}


def _path_names(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{") and part.endswith("}")]


def _id_pattern() -> str:
    return ID_PATTERN
