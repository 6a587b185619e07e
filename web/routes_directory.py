"""Areas and providers (admin or broker; a provider may read its own record)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from matcher import NotFound
from web import audit
from web.http import brokerage, current_user, json_body, ok


async def create_area(request: Request) -> Response:
    user = await current_user(request, "broker")
    body = await json_body(request)
    area = await brokerage(request).areas.create(body)
    await audit.record(request, user, "area.created", "area", area.id, area.name, None, area.to_dict(), audit.reason_of(body))
    return ok(area.to_dict(), 201)


async def update_area(request: Request) -> Response:
    user = await current_user(request, "broker")
    body = await json_body(request)
    before, after = await brokerage(request).areas.update(request.path_params["area_id"], body)
    await audit.record(request, user, "area.updated", "area", after.id, after.name, before.to_dict(), after.to_dict(), audit.reason_of(body))
    return ok(after.to_dict())


async def get_area(request: Request) -> Response:
    await current_user(request)
    return ok((await brokerage(request).areas.get(request.path_params["area_id"])).to_dict())


async def list_areas(request: Request) -> Response:
    await current_user(request)
    return ok([a.to_dict() for a in await brokerage(request).areas.list()])


async def create_provider(request: Request) -> Response:
    user = await current_user(request, "broker")
    body = await json_body(request)
    provider = await brokerage(request).providers.create(body)
    await audit.record(request, user, "provider.created", "provider", provider.id, provider.name, None, provider.to_dict(), audit.reason_of(body))
    return ok(provider.to_dict(), 201)


async def list_providers(request: Request) -> Response:
    await current_user(request, "broker")
    return ok([p.to_dict() for p in await brokerage(request).providers.list()])


async def get_provider(request: Request) -> Response:
    user = await current_user(request)
    provider_id = request.path_params["provider_id"]
    if not user.is_broker and user.provider_id != provider_id:
        raise NotFound("No such provider.")
    return ok((await brokerage(request).providers.get(provider_id)).to_dict())


async def update_provider(request: Request) -> Response:
    user = await current_user(request, "broker")
    body = await json_body(request)
    providers = brokerage(request).providers
    before = await providers.get(request.path_params["provider_id"])
    provider = await providers.update(before.id, body)
    action = "provider.status_changed" if provider.status != before.status else "provider.updated"
    await audit.record(request, user, action, "provider", provider.id, provider.name, before.to_dict(), provider.to_dict(), audit.reason_of(body))
    return ok(provider.to_dict())


routes = [
    Route("/api/areas", create_area, methods=["POST"]),
    Route("/api/areas", list_areas, methods=["GET"]),
    Route("/api/areas/{area_id}", get_area, methods=["GET"]),
    Route("/api/areas/{area_id}", update_area, methods=["PATCH"]),
    Route("/api/providers", create_provider, methods=["POST"]),
    Route("/api/providers", list_providers, methods=["GET"]),
    Route("/api/providers/{provider_id}", get_provider, methods=["GET"]),
    Route("/api/providers/{provider_id}", update_provider, methods=["PATCH"]),
]
