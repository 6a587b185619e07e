"""The web pages: server-rendered HTML shells with small vanilla JS that call the public
JSON API and /ws like any other client."""

from __future__ import annotations

from web.pages import (
    admin_areas, admin_people, admin_providers, admin_webhooks, assets, auth, broker, broker_actions, broker_lists, broker_reports,
    placement, provider, provider_history, public,
)

routes = [*auth.routes, *provider.routes, *provider_history.routes, *broker_lists.routes, *broker_reports.routes, *broker_actions.routes,
          *broker.routes, *placement.routes, *admin_providers.routes, *admin_people.routes, *admin_areas.routes, *admin_webhooks.routes, *public.routes,
          *assets.routes]
