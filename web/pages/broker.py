"""Broker pages: the live feed, posting a package, a package with its ranked offers and
the award, and the map of live packages by district."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from web.pages.labels import enumerations
from web.pages.render import guarded, page, page_user


async def feed(request: Request) -> Response:
    return page(request, "broker_feed.html", await page_user(request, "broker"))


async def new_package(request: Request) -> Response:
    user = await page_user(request, "broker")
    providers = sorted(await request.state.brokerage.providers.list(), key=lambda p: p.name.lower())
    return page(request, "broker_new.html", user, providers=providers, **enumerations())


async def package(request: Request) -> Response:
    user = await page_user(request, "broker")
    weight = request.state.brokerage.settings.quality_weight
    return page(request, "broker_package.html", user, package_id=request.path_params["package_id"], quality_weight=weight)


async def district_map(request: Request) -> Response:
    return page(request, "broker_map.html", await page_user(request, "broker"))


routes = [
    Route("/broker", guarded(feed), methods=["GET"]),
    Route("/broker/packages/new", guarded(new_package), methods=["GET"]),
    Route("/broker/packages/{package_id}", guarded(package), methods=["GET"]),
    Route("/broker/map", guarded(district_map), methods=["GET"]),
]
