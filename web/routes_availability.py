"""Availability (providers declare it; brokers see all of it) and the matched providers of
a package in the order brokers should look at them."""

from __future__ import annotations

from starlette.responses import Response

from matcher import AvailabilityInput, ordered_matches, parse_district
from web import api
from web.api import ANYONE, BROKER, PROVIDER, Call
from web.http import brokerage, no_content, ok
from web.inputs import AvailabilityQuery
from web.outputs import MatchOut, PostedSlot, SlotOut


async def post_availability(call: Call) -> Response:
    slot, brought = await brokerage(call.request).availability.post(call.body, call.me.provider_id or "", call.me.id)
    return ok({**slot.to_dict(), "packages": brought}, 201)


async def list_availability(call: Call) -> Response:
    service = brokerage(call.request)
    district = parse_district(call.query.district, service.postcodes)
    # Brokers see every provider's; a provider user only its own organisation's.
    owner = None if call.me.is_broker else (call.me.provider_id or "")
    slots = await service.availability.slots.list(provider_id=owner, district=district)
    return ok([s.to_dict() for s in slots])


async def delete_availability(call: Call) -> Response:
    await brokerage(call.request).availability.slots.delete(call.param("slot_id"), call.me.provider_id, call.me.id)
    return no_content()


async def package_matches(call: Call) -> Response:
    service = brokerage(call.request)
    package_id = call.param("package_id")
    await service.packages.load(package_id)
    told = [e.data.get("provider_id", "") for e in await service.events.history(package_id) if e.type == "package.matched"]
    return ok(ordered_matches(await service.packages.matches(package_id), told))


T = "availability"
routes = [
    api.post("/api/availability", post_availability, "Declare availability; fitting live packages are brought at once",
             auth=PROVIDER, body=AvailabilityInput, returns=PostedSlot, status=201, errors=(409,), tag=T),
    api.get("/api/availability", list_availability, "Current availability: a provider its own, brokers all",
            auth=ANYONE, query=AvailabilityQuery, returns=list[SlotOut], tag=T),
    api.delete("/api/availability/{slot_id}", delete_availability, "Remove availability", auth=PROVIDER, status=204,
               tag=T),
    api.get("/api/packages/{package_id}/matches", package_matches, "Matched providers, availability first",
            auth=BROKER, returns=list[MatchOut], tag="packages"),
]
