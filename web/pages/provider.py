"""Provider pages: the live board, a package with offer and decline forms, offers and
their outcomes, availability and notification preferences."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from web.http import reader
from web.pages.board_cards import card
from web.team import team_states
from web.pages.labels import enumerations
from web.pages.render import guarded, page, page_user


BOARD_LIMIT = 200


async def board(request: Request) -> Response:
    # Rendered on the server: the packages show on a slow line before any script has run,
    # and without JavaScript at all; provider-board.js then keeps them live.
    user = await page_user(request, "provider")
    service = request.state.brokerage
    live = await service.packages.list(reader(user), status="live", urgency=None, area=None, limit=BOARD_LIMIT)
    states = await team_states(service, user, [p["id"] for p in live])
    cards = [{**card(p), "team": states.get(p["id"])} for p in live]
    unanswered = sum(1 for c in cards if c["team"] and c["team"]["state"] == "unanswered")
    # ?show=unanswered: the filter works without JavaScript; the script keeps it live.
    only_unanswered = request.query_params.get("show") == "unanswered"
    shown = [c for c in cards if not only_unanswered or (c["team"] and c["team"]["state"] == "unanswered")]
    return page(request, "provider_board.html", user, cards=shown, total=len(cards), unanswered=unanswered,
                only_unanswered=only_unanswered)


async def package(request: Request) -> Response:
    user = await page_user(request, "provider")
    package_id = request.path_params["package_id"]
    service = request.state.brokerage
    states = await team_states(service, user, [package_id])
    # The variation form says whether a small change is accepted at once (VARIATION_FLEX).
    flex_pct = round(service.settings.variation_flex * 100, 1)
    return page(request, "provider_package.html", user, package_id=package_id, team=states.get(package_id),
                flex_pct=f"{flex_pct:g}")


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
