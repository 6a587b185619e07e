"""`GET /openapi.json` and `GET /docs`: the document built from the routes, and a
server-rendered page of it (GOV.UK styles served locally; no script, no outside request),
readable on a phone and with a keyboard or screen reader."""

from __future__ import annotations

import html
import json
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from web.openapi import document

METHOD_ORDER = ("get", "post", "put", "patch", "delete")


def _document(request: Request) -> dict[str, Any]:
    cached = getattr(request.app.state, "openapi", None)
    if cached is None:
        cached = request.app.state.openapi = document(request.app.routes)
    return cached


async def openapi_json(request: Request) -> Response:
    return JSONResponse(_document(request))


async def docs_page(request: Request) -> Response:
    doc = _document(request)
    return HTMLResponse(render(doc))


def render(doc: dict[str, Any]) -> str:
    e = html.escape
    by_tag: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for path, methods in doc["paths"].items():
        for method in METHOD_ORDER:
            if method in methods:
                op = methods[method]
                by_tag.setdefault((op.get("tags") or ["other"])[0], []).append((method, path, op))
    toc = "".join(f'<li><a class="govuk-link" href="#tag-{e(tag)}">{e(tag.capitalize())}</a></li>' for tag in by_tag)
    sections = []
    for tag, ops in by_tag.items():
        items = "".join(_operation(method, path, op) for method, path, op in ops)
        sections.append(f'<h2 class="govuk-heading-l" id="tag-{e(tag)}">{e(tag.capitalize())}</h2>{items}')
    events = "".join(
        f'<tr class="govuk-table__row"><td class="govuk-table__cell"><code>{e(name)}</code></td>'
        f'<td class="govuk-table__cell">{e(hook["post"]["description"])}</td></tr>'
        for name, hook in doc.get("webhooks", {}).items()
    )
    schemas = "".join(
        f'<details class="govuk-details" id="schema-{e(name)}"><summary class="govuk-details__summary">'
        f'<span class="govuk-details__summary-text">{e(name)}</span></summary>'
        f'<div class="govuk-details__text"><pre class="docs-schema">{e(json.dumps(schema, indent=2))}</pre></div></details>'
        for name, schema in doc["components"]["schemas"].items()
    )
    description = "".join(f'<p class="govuk-body">{_code(p)}</p>' for p in doc["info"]["description"].split("\n\n"))
    return f"""<!doctype html>
<html lang="en-GB" class="govuk-template">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>API reference – {e(doc["info"]["title"])}</title>
  <link rel="stylesheet" href="/static/govuk/govuk-frontend.min.css">
  <style>
    .docs-schema {{ white-space: pre-wrap; word-break: break-word; font-size: 14px; }}
    .docs-op {{ border-left: 5px solid #b1b4b6; padding-left: 15px; margin-bottom: 30px; }}
    .docs-path {{ word-break: break-all; }}
    main code, .govuk-table__cell, .govuk-body, .govuk-list {{ overflow-wrap: anywhere; }}
  </style>
</head>
<body class="govuk-template__body">
  <a href="#main-content" class="govuk-skip-link">Skip to main content</a>
  <header class="govuk-header" role="banner"><div class="govuk-header__container govuk-width-container">
    <span class="govuk-header__link govuk-header__service-name">{e(doc["info"]["title"])} API</span>
  </div></header>
  <div class="govuk-width-container">
    <main class="govuk-main-wrapper" id="main-content" role="main">
      <h1 class="govuk-heading-xl">API reference</h1>
      {description}
      <p class="govuk-body">Machine-readable: <a class="govuk-link" href="/openapi.json">/openapi.json</a> (OpenAPI {e(doc["openapi"])}).</p>
      <nav aria-labelledby="contents"><h2 class="govuk-heading-m" id="contents">Contents</h2>
        <ul class="govuk-list">{toc}<li><a class="govuk-link" href="#events">Events</a></li>
        <li><a class="govuk-link" href="#schemas">Schemas</a></li></ul></nav>
      {"".join(sections)}
      <h2 class="govuk-heading-l" id="events">Events</h2>
      <table class="govuk-table"><caption class="govuk-table__caption govuk-visually-hidden">Event types</caption>
        <thead class="govuk-table__head"><tr class="govuk-table__row"><th scope="col" class="govuk-table__header">Type</th>
        <th scope="col" class="govuk-table__header">Meaning</th></tr></thead>
        <tbody class="govuk-table__body">{events}</tbody></table>
      <h2 class="govuk-heading-l" id="schemas">Schemas</h2>
      {schemas}
    </main>
  </div>
</body>
</html>"""


def _code(text: str) -> str:
    """Escaped text with `spans` as <code>."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text, quote=False))


def _operation(method: str, path: str, op: dict[str, Any]) -> str:
    e = html.escape
    params = "".join(
        f'<li><code>{e(p["name"])}</code> ({e(p["in"])}{", required" if p.get("required") else ""})</li>'
        for p in op.get("parameters", [])
    )
    body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    body_ref = body.get("$ref", "").rsplit("/", 1)[-1]
    statuses = "".join(
        f'<li><strong>{e(code)}</strong> {e(r["description"])}</li>' for code, r in op["responses"].items()
    )
    return f"""<section class="docs-op" aria-label="{e(method.upper())} {e(path)}">
  <h3 class="govuk-heading-m docs-path"><code>{e(method.upper())} {e(path)}</code></h3>
  <p class="govuk-body">{e(op["summary"])}. {e(op["description"])}</p>
  {f'<p class="govuk-body">Parameters:</p><ul class="govuk-list govuk-list--bullet">{params}</ul>' if params else ""}
  {f'<p class="govuk-body">Body: <a class="govuk-link" href="#schema-{e(body_ref)}">{e(body_ref)}</a></p>' if body_ref else ""}
  <p class="govuk-body">Answers:</p><ul class="govuk-list govuk-list--bullet">{statuses}</ul>
</section>"""


routes = [
    Route("/openapi.json", openapi_json, methods=["GET"]),
    Route("/docs", docs_page, methods=["GET"]),
]
