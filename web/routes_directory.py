"""Areas and providers (admin or broker; a provider may read its own record)."""

from __future__ import annotations

from starlette.responses import Response

from matcher import AreaInput, AreaPatch, NotFound, ProviderInput, ProviderPatch
from web import api, audit
from web.api import ANYONE, BROKER, Call
from web.http import brokerage, ok
from web.outputs import AreaOut, ProviderOut


async def create_area(call: Call) -> Response:
    given: AreaInput = call.body
    area = await brokerage(call.request).areas.create(given, note=audit.note(call.me, given.reason))
    return ok(area.to_dict(), 201)


async def update_area(call: Call) -> Response:
    given: AreaPatch = call.body
    _, after = await brokerage(call.request).areas.update(call.param("area_id"), given, note=audit.note(call.me, given.reason))
    return ok(after.to_dict())


async def get_area(call: Call) -> Response:
    return ok((await brokerage(call.request).areas.get(call.param("area_id"))).to_dict())


async def list_areas(call: Call) -> Response:
    return ok([a.to_dict() for a in await brokerage(call.request).areas.list()])


async def create_provider(call: Call) -> Response:
    given: ProviderInput = call.body
    provider = await brokerage(call.request).providers.create(given, note=audit.note(call.me, given.reason))
    return ok(provider.to_dict(), 201)


async def list_providers(call: Call) -> Response:
    return ok([p.to_dict() for p in await brokerage(call.request).providers.list()])


async def get_provider(call: Call) -> Response:
    provider_id = call.param("provider_id")
    if not call.me.is_broker and call.me.provider_id != provider_id:
        raise NotFound("No such provider.")
    return ok((await brokerage(call.request).providers.get(provider_id)).to_dict())


async def update_provider(call: Call) -> Response:
    given: ProviderPatch = call.body
    _, provider = await brokerage(call.request).providers.update(call.param("provider_id"), given,
                                                                 note=audit.note(call.me, given.reason))
    return ok(provider.to_dict())


routes = [
    api.post("/api/areas", create_area, "Create an area (a named set of postcode districts)", auth=BROKER,
             body=AreaInput, returns=AreaOut, status=201, errors=(409,), tag="areas"),
    api.get("/api/areas", list_areas, "List areas", auth=ANYONE, returns=list[AreaOut], tag="areas"),
    api.get("/api/areas/{area_id}", get_area, "One area", auth=ANYONE, returns=AreaOut, tag="areas"),
    api.patch("/api/areas/{area_id}", update_area, "Change an area's districts (its name stays)", auth=BROKER,
              body=AreaPatch, returns=AreaOut, tag="areas"),
    api.post("/api/providers", create_provider, "Add a provider", auth=BROKER, body=ProviderInput,
             returns=ProviderOut, status=201, tag="providers"),
    api.get("/api/providers", list_providers, "List providers", auth=BROKER, returns=list[ProviderOut], tag="providers"),
    api.get("/api/providers/{provider_id}", get_provider, "One provider (a provider user: its own)", auth=ANYONE,
            returns=ProviderOut, tag="providers"),
    api.patch("/api/providers/{provider_id}", update_provider, "Change a provider's fields or status", auth=BROKER,
              body=ProviderPatch, returns=ProviderOut, tag="providers"),
]
