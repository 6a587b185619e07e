"""Geography for maps: district outlines from the postcode data."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import geo
from matcher import NotFound
from web.http import brokerage, current_user, ok


async def district(request: Request) -> Response:
    await current_user(request)
    postcodes = brokerage(request).postcodes
    try:
        code = geo.outward_code(request.path_params["code"])
        return ok(postcodes.district_shape(code))
    except (geo.MalformedPostcode, KeyError) as exc:
        raise NotFound("No such postcode district.") from exc


routes = [Route("/api/geo/districts/{code}", district, methods=["GET"])]
