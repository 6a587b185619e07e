"""A provider's own offers across packages, with each offer's outcome (for the provider's
"My offers" page; not in the contract's list, an addition in its spirit: a provider always
hears the outcome of every offer it made)."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from config import keys
from matcher.model import Package
from web.http import brokerage, current_user, ok

LIMIT = 200


async def my_offers(request: Request) -> Response:
    user = await current_user(request, "provider")
    provider_id = user.provider_id or ""
    redis = brokerage(request).redis
    package_ids = await redis.zrevrange(keys.provider_packages(provider_id), 0, LIMIT - 1)
    async with redis.pipeline(transaction=False) as pipe:
        for package_id in package_ids:
            pipe.get(keys.package(package_id))
            pipe.hgetall(keys.package_offers(package_id))
        replies = await pipe.execute()
    out = []
    for n in range(len(package_ids)):
        raw_package, offers = replies[2 * n], replies[2 * n + 1]
        if raw_package is None:
            continue
        package = Package.from_dict(json.loads(raw_package))
        # Only what a matched provider may see before award: no postcode, no free text.
        summary = {"id": package.id, "status": package.status, "urgency": package.urgency, "district": package.district,
                   "sector": package.sector, "hours_per_week": package.hours_per_week, "start_date": package.start_date}
        for raw_offer in offers.values():
            offer = json.loads(raw_offer)
            if offer.get("provider_id") == provider_id:
                out.append({**offer, "package": summary})
    out.sort(key=lambda o: o.get("submitted_at", ""), reverse=True)
    return ok(out)


routes = [Route("/api/offers", my_offers, methods=["GET"])]
