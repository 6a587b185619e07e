"""A provider's own offers across packages, with each offer's outcome (for the provider's
"My offers" page; not in the contract's list, an addition in its spirit: a provider always
hears the outcome of every offer it made)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from web.http import brokerage, current_user, ok

LIMIT = 200


async def my_offers(request: Request) -> Response:
    user = await current_user(request, "provider")
    return ok(await brokerage(request).offers.of_provider(user.provider_id or "", LIMIT))


routes = [Route("/api/offers", my_offers, methods=["GET"])]
