"""/openapi.json is generated from the routes themselves and covers every API route, its
auth, the error shape and the events; /docs renders it with nothing fetched from elsewhere."""

from __future__ import annotations

import re

from starlette.routing import Route

from config import Settings
from tests.conftest import Api, World
from web import create_app

DOCUMENTED_PREFIXES = ("/api/", "/hooks/", "/healthz", "/readyz", "/metrics", "/dev/outbox", "/p/")


def test_every_api_route_is_in_the_document() -> None:
    from web.openapi import document

    app = create_app(Settings.from_env({}))
    doc = document(app.routes)
    assert doc["openapi"].startswith("3.1")
    routes = [(r.path, m.lower()) for r in app.routes if isinstance(r, Route) and r.path.startswith(DOCUMENTED_PREFIXES)
              for m in (r.methods or ()) if m != "HEAD"]
    assert routes
    missing = [f"{m.upper()} {p}" for p, m in routes if m not in doc["paths"].get(p, {})]
    assert not missing, missing
    post = doc["paths"]["/api/packages"]["post"]
    assert post["x-roles"] == ["broker"] and {"bearer": []} in post["security"]
    assert post["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/PackageInput"}
    assert post["responses"]["422"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    visit = doc["components"]["schemas"]["VisitInput"]
    assert visit["properties"]["band"]["enum"] == ["morning", "lunch", "tea", "bed", "night"]
    assert doc["paths"]["/api/auth/login"]["post"]["security"] == []
    assert "package.matched" in doc["webhooks"] and "offer.accepted" in doc["webhooks"]


async def test_served_document_and_docs_page(world: World) -> None:
    anon = Api(world.service.url())
    try:
        doc = await anon("GET", "/openapi.json", expect=200)
        assert "/api/packages/{package_id}/offers" in doc["paths"]
        page = await anon.raw("GET", "/docs")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        text = page.text
        assert "POST /api/packages" in text and "package.matched" in text
        # Every stylesheet, script, image and link is served by the service itself.
        outside = [u for u in re.findall(r'(?:src|href)="([^"]+)"', text) if not u.startswith(("/", "#"))]
        assert not outside, outside
        css = await anon.raw("GET", "/static/govuk/govuk-frontend.min.css")
        assert css.status_code == 200
    finally:
        await anon.aclose()
