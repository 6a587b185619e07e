"""The web pages: server-rendered HTML shells with small vanilla JS that call the public
JSON API and /ws like any other client."""

from __future__ import annotations

from web.pages import assets, auth, broker, placement, provider

routes = [*auth.routes, *provider.routes, *broker.routes, *placement.routes, *assets.routes]
