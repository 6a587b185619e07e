"""Geography for maps: district outlines from the postcode data."""

from __future__ import annotations

from starlette.responses import Response

import geo
from matcher import NotFound
from web import api
from web.api import ANYONE, Call
from web.http import brokerage, ok
from web.outputs import Feature


async def district(call: Call) -> Response:
    postcodes = brokerage(call.request).postcodes
    try:
        code = geo.outward_code(call.param("code"))
        return ok(postcodes.district_shape(code))
    except (geo.MalformedPostcode, KeyError) as exc:
        raise NotFound("No such postcode district.") from exc


routes = [
    api.get("/api/geo/districts/{code}", district, "A postcode district's outline (GeoJSON, WGS84)", auth=ANYONE,
            returns=Feature, errors=(404,), tag="geography"),
]
