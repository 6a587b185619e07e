"""Back office: areas. A list with each area's packages and providers; create and edit an
area's districts, outlined on a map before saving."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from matcher import Area, AreaInput, AreaPatch, Conflict, Invalid, Reader
from web import audit
from web.pages.admin_forms import districts_of, read_form, sentence, typed
from web.pages.render import guarded, page, page_user, redirect


async def areas_list(request: Request) -> Response:
    user = await page_user(request, "admin")
    service = request.state.brokerage
    areas = await service.areas.list()
    providers = await service.providers.list()
    packages = await service.packages.list(Reader(user.id, True, None), status=None, urgency=None, area=None, limit=100_000)
    rows = []
    for area in areas:
        mine = [p for p in packages if p.get("area") == area.name]
        covering = [p for p in providers if area.name in p.tiers or any(
            c["kind"] == "districts" and set(c["codes"]) & set(area.districts) for c in p.coverage)]
        rows.append({"area": area, "live": sum(1 for p in mine if p["status"] == "live"), "packages": len(mine),
                     "providers": sorted(covering, key=lambda p: p.name.lower())})
    return page(request, "admin_areas.html", user, rows=rows, done=request.query_params.get("done"))


async def area_new(request: Request) -> Response:
    user = await page_user(request, "admin")
    return page(request, "admin_area_form.html", user, area=None, v={"name": "", "districts": ""}, errors={})


async def area_edit(request: Request) -> Response:
    user = await page_user(request, "admin")
    area = await request.state.brokerage.areas.get(request.path_params["area_id"])
    return page(request, "admin_area_form.html", user, area=area, v={"name": area.name, "districts": " ".join(area.districts)}, errors={})


async def area_save(request: Request) -> Response:
    user = await page_user(request, "admin")
    service = request.state.brokerage
    area_id = request.path_params.get("area_id")
    current: Area | None = await service.areas.get(area_id) if area_id else None
    form = await read_form(request)
    values = {"name": current.name if current else form.one("name"), "districts": form.one("districts")}
    errors: dict[str, str] = {}
    if not values["name"]:
        errors["name"] = "Enter the area's name"
    if not districts_of(values["districts"]):
        errors["districts"] = "Enter at least one postcode district, like SG1"
    if not errors:
        body = {"name": values["name"], "districts": districts_of(values["districts"])}
        try:
            if current is None:
                await service.areas.create(typed(AreaInput, body), note=audit.note(user))
            else:
                await service.areas.update(current.id, typed(AreaPatch, {"districts": body["districts"]}), note=audit.note(user))
        except Invalid as exc:
            errors = {k: sentence(v) for k, v in (exc.fields or {}).items() if k in ("name", "districts")}
        except Conflict:
            errors = {"name": "An area with this name already exists: choose another name"}
        else:
            return redirect("/admin/areas?done=saved")
    return page(request, "admin_area_form.html", user, status=422, area=current, v=values, errors=errors)


routes = [
    Route("/admin/areas", guarded(areas_list), methods=["GET"]),
    Route("/admin/areas/new", guarded(area_new), methods=["GET"]),
    Route("/admin/areas/new", guarded(area_save), methods=["POST"]),
    Route("/admin/areas/{area_id}/edit", guarded(area_edit), methods=["GET"]),
    Route("/admin/areas/{area_id}/edit", guarded(area_save), methods=["POST"]),
]
