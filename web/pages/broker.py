"""Broker pages: the live feed, posting a package, a package with its ranked offers and
the award, and the map of live packages by district."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from accounts import User
from web.pages.broker_actions import uk_time
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
    return await package_page(request, user, request.path_params["package_id"])


async def package_page(request: Request, user: User, package_id: str, *, errors: dict[str, str] | None = None,
                       form: dict[str, str] | None = None, status: int = 200) -> Response:
    """The package page; its actions (withdraw, extend, release, re-post) are server-rendered
    forms, so what the broker may do follows the package's status."""
    service = request.state.brokerage
    found = await service.packages.find(package_id)
    report = await service.packages.match_report(package_id) if found is not None and found.matched == 0 else None
    return page(request, "broker_package.html", user, status=status, package_id=package_id, quality_weight=service.settings.quality_weight,
                package=found, report=report, tiered=service.settings.release == "tiered", errors=errors or {}, form=form or {},
                done=request.query_params.get("done"), deadline_uk=uk_time(found.deadline) if found else "")


async def district_map(request: Request) -> Response:
    return page(request, "broker_map.html", await page_user(request, "broker"))


routes = [
    Route("/broker", guarded(feed), methods=["GET"]),
    Route("/broker/packages/new", guarded(new_package), methods=["GET"]),
    Route("/broker/packages/{package_id}", guarded(package), methods=["GET"]),
    Route("/broker/map", guarded(district_map), methods=["GET"]),
]
