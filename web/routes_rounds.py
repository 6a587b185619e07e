"""A provider's rounds: its map (live packages at sector level, its clients, its coverage)
and where need has been in its coverage (issue 17)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from web.http import brokerage, current_user, ok, reader


async def provider_map(request: Request) -> Response:
    user = await current_user(request, "provider")
    return ok(await brokerage(request).round_map.map(reader(user)))


async def provider_demand(request: Request) -> Response:
    user = await current_user(request, "provider")
    return ok(await brokerage(request).round_map.demand(reader(user)))


routes = [
    Route("/api/provider/map", provider_map, methods=["GET"]),
    Route("/api/provider/demand", provider_demand, methods=["GET"]),
]
