"""A provider's rounds: its map (live packages at sector level, its clients, its coverage)
and where need has been in its coverage (issue 17)."""

from __future__ import annotations

from starlette.responses import Response

from web import api
from web.api import PROVIDER, Call
from web.http import brokerage, ok, reader
from web.outputs import Demand, ProviderMap


async def provider_map(call: Call) -> Response:
    return ok(await brokerage(call.request).round_map.map(reader(call.me)))


async def provider_demand(call: Call) -> Response:
    return ok(await brokerage(call.request).round_map.demand(reader(call.me)))


routes = [
    api.get("/api/provider/map", provider_map, "The provider's map: matched packages by sector, its clients, coverage",
            auth=PROVIDER, returns=ProviderMap, tag="rounds"),
    api.get("/api/provider/demand", provider_demand, "Unmet and slow-to-place need in the provider's coverage, 90 days",
            auth=PROVIDER, returns=Demand, tag="rounds"),
]
