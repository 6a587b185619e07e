"""A provider's own offers across packages, with each offer's outcome (for the provider's
"My offers" page; not in the contract's list, an addition in its spirit: a provider always
hears the outcome of every offer it made)."""

from __future__ import annotations

from starlette.responses import Response

from web import api
from web.api import PROVIDER, Call
from web.http import brokerage, ok
from web.outputs import MyOffer

LIMIT = 200


async def my_offers(call: Call) -> Response:
    return ok(await brokerage(call.request).offers.of_provider(call.me.provider_id or "", LIMIT))


routes = [
    api.get("/api/offers", my_offers, "A provider's own offers across packages, with outcomes", auth=PROVIDER,
            returns=list[MyOffer], tag="offers"),
]
