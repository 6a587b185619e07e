"""Brokers' pages for finding and posting many packages: every package (search, filters,
pages), the bulk import, and the page that confirms a posting."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from matcher import PACKAGE_STATUSES, URGENCIES, Invalid, NotFound, bulk
from web.pages.dates import read_range
from web.pages.labels import words
from web.pages.render import guarded, page, page_user
from web.routes_packages import search_query

PER_PAGE = 25
FILTERS = ("q", "status", "urgency", "area", "from", "to", "provider_id")


async def all_packages(request: Request) -> Response:
    user = await page_user(request, "broker")
    service = request.state.brokerage
    params = {k: request.query_params.get(k, "").strip() for k in FILTERS}
    # Posted from/to: the GOV.UK date inputs (or ISO from/to in links), as ISO for the search.
    dates = read_range(request.query_params)
    params.update({"from": "", "to": "", **dates.iso()})
    wanted = {k: v for k, v in params.items() if v}
    page_no = request.query_params.get("page", "1")
    errors: dict[str, str] = dict(dates.errors)
    found, total, current = [], 0, 1
    if not errors:
        try:
            query, _ = search_query({**wanted, "page": page_no if page_no.isdigit() and page_no != "0" else "1", "per_page": str(PER_PAGE)})
            found, total = await service.packages.search(query)
            current = query.page
        except Invalid as exc:
            errors = {f"f-{name}": f"{name}: {problem}" for name, problem in (exc.fields or {}).items()}
    providers = sorted(await service.providers.list(), key=lambda p: p.name.lower())
    names = {p.id: p.name for p in providers}
    areas = sorted(a.name for a in await service.areas.list())
    pages = max(1, -(-total // PER_PAGE))

    def link(n: int) -> str:
        return "/broker/packages?" + urlencode({**wanted, "page": n})

    return page(
        request, "broker_packages.html", user, status=422 if errors else 200, errors=errors, params=params, dates=dates,
        packages=found, total=total, page_no=current, pages=pages, prev_link=link(current - 1) if current > 1 else None,
        next_link=link(current + 1) if current < pages else None, names=names, providers=providers, areas=areas,
        statuses=[(s, words(s)) for s in PACKAGE_STATUSES], urgencies=[(u, u.capitalize()) for u in URGENCIES],
        filtered=bool(wanted),
    )


async def import_page(request: Request) -> Response:
    user = await page_user(request, "broker")
    return page(request, "broker_import.html", user, columns=bulk.COLUMNS, max_rows=bulk.MAX_ROWS)


async def posted(request: Request) -> Response:
    user = await page_user(request, "broker")
    service = request.state.brokerage
    package_id = request.path_params["package_id"]
    try:
        package = await service.packages.load(package_id)
    except NotFound:
        return page(request, "not_found.html", user, status=404)
    report = await service.packages.match_report(package_id) if package.matched == 0 else None
    return page(request, "broker_posted.html", user, package=package, report=report)


routes = [
    Route("/broker/packages", guarded(all_packages), methods=["GET"]),
    Route("/broker/packages/import", guarded(import_page), methods=["GET"]),
    Route("/broker/packages/{package_id}/posted", guarded(posted), methods=["GET"]),
]
