"""Provider pages: the live board, a package with offer and decline forms, offers and
their outcomes, availability and notification preferences."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from web.http import reader
from web.pages.board_cards import card
from web.pages.labels import enumerations
from web.pages.render import guarded, page, page_user


BOARD_LIMIT = 200


async def board(request: Request) -> Response:
    # Rendered on the server: the packages show on a slow line before any script has run,
    # and without JavaScript at all; provider-board.js then keeps them live.
    user = await page_user(request, "provider")
    live = await request.state.brokerage.packages.list(reader(user), status="live", urgency=None, area=None, limit=BOARD_LIMIT)
    return page(request, "provider_board.html", user, cards=[card(p) for p in live])


async def package(request: Request) -> Response:
    user = await page_user(request, "provider")
    return page(request, "provider_package.html", user, package_id=request.path_params["package_id"])


async def offers(request: Request) -> Response:
    return page(request, "provider_offers.html", await page_user(request, "provider"))


async def availability(request: Request) -> Response:
    return page(request, "provider_availability.html", await page_user(request, "provider"), **enumerations())


async def preferences(request: Request) -> Response:
    return page(request, "provider_preferences.html", await page_user(request, "provider"))


async def round_map(request: Request) -> Response:
    return page(request, "provider_map.html", await page_user(request, "provider"))


routes = [
    Route("/provider", guarded(board), methods=["GET"]),
    Route("/provider/packages/{package_id}", guarded(package), methods=["GET"]),
    Route("/provider/map", guarded(round_map), methods=["GET"]),
    Route("/provider/offers", guarded(offers), methods=["GET"]),
    Route("/provider/availability", guarded(availability), methods=["GET"]),
    Route("/provider/preferences", guarded(preferences), methods=["GET"]),
]
