"""The Starlette application: lifespan owns the Redis pools, the event reader and the
brokerage's parts; routes come from one module per concern."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import AsyncIterator, TypedDict

from redis.exceptions import RedisError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import WebSocketRoute

import geo
from config import Settings
from realtime import Hub, socket_endpoint
from service import Brokerage
from web import (
    api,
    docs,
    metrics,
    pages,
    routes_accounts,
    routes_admin,
    routes_availability,
    routes_broker_tools,
    routes_directory,
    routes_geo,
    routes_notify,
    routes_offers,
    routes_packages,
    routes_push,
    routes_placement,
    routes_reports,
    routes_rounds,
    routes_webhooks,
    routes_team,
)
from web.bodylimit import BodyLimit
from web.csrf import CSRFMiddleware
from web.api import PUBLIC, Call
from web.errors import DOMAIN_ERRORS, HttpError, error_body, error_response_parts
from web.outputs import Status
from web.pages.public import error_page, wants_html
from web.middleware import SecurityHeaders
from web.outage import OutageMiddleware

log = logging.getLogger("web")


class State(TypedDict):
    brokerage: Brokerage
    hub: Hub


async def healthz(call: Call) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(call: Call) -> Response:
    try:
        await asyncio.wait_for(call.request.state.brokerage.redis.ping(), timeout=2)
    except (RedisError, OSError, asyncio.TimeoutError):
        return JSONResponse(error_body("not_ready", "Redis does not answer."), status_code=503)
    return JSONResponse({"status": "ready"})


async def on_error(request: Request, exc: Exception) -> Response:
    """Domain and web errors: the status comes from the one table in web/errors.py; a browser
    asking for a page gets the HTML 403/404 page instead of JSON."""
    status, body, headers = error_response_parts(exc)
    if status in (403, 404) and wants_html(request):
        return await error_page(request, status)
    return JSONResponse(body, status_code=status, headers=headers)


async def prometheus(call: Call) -> Response:
    return await metrics.endpoint(call.request)


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code in (403, 404) and wants_html(request):
        return await error_page(request, exc.status_code)
    codes = {404: "not_found", 405: "method_not_allowed"}
    message = {404: "Nothing here.", 405: "That method is not allowed here."}.get(exc.status_code, str(exc.detail))
    return JSONResponse(error_body(codes.get(exc.status_code, "http_error"), message), status_code=exc.status_code, headers=exc.headers)


async def on_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return JSONResponse(error_body("internal_error", "Something went wrong on our side; it has been logged."), status_code=500)


def create_app(settings: Settings, postcodes: geo.PostcodeIndex | None = None) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[State]:
        service = await Brokerage.open(settings, postcodes)
        if settings.admin_email and settings.admin_password:
            await service.accounts.ensure_admin(settings.admin_email, settings.admin_password)
        hub = Hub(service.redis, settings.ws_send_queue, settings.ws_max_per_user)
        await hub.start_position()
        tasks = [
            asyncio.create_task(hub.run(), name="event-reader"),
            asyncio.create_task(hub.watch_revocations(), name="revocation-listener"),
            asyncio.create_task(hub.check_sessions_forever(service.accounts), name="session-check"),
        ]
        try:
            yield {"brokerage": service, "hub": hub}
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await service.close()

    routes = [
        api.get("/healthz", healthz, "The process is up", auth=PUBLIC, returns=Status, tag="operations"),
        api.get("/readyz", readyz, "Redis answers (503 when it does not)", auth=PUBLIC, returns=Status, tag="operations"),
        api.get("/metrics", prometheus, "Prometheus metrics", auth=PUBLIC, returns=str, media="text/plain",
                tag="operations"),
        *docs.routes,
        WebSocketRoute("/ws", socket_endpoint),
        *routes_accounts.routes,
        *routes_admin.routes,
        *routes_directory.routes,
        *routes_broker_tools.routes,
        *routes_packages.routes,
        *routes_placement.routes,
        *routes_geo.routes,
        *routes_offers.routes,
        *routes_notify.routes,
        *routes_push.routes,
        *routes_availability.routes,
        *routes_reports.routes,
        *routes_rounds.routes,
        *routes_webhooks.routes,
        *routes_team.routes,
        *pages.routes,
    ]
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={
        **{cls: on_error for cls in (*DOMAIN_ERRORS, HttpError)},
        HTTPException: on_http_error,
        Exception: on_unexpected,
    })
    app.state.metrics = metrics.Metrics()
    app.add_middleware(metrics.RequestMetrics, metrics=app.state.metrics)
    app.add_middleware(SecurityHeaders, hsts=settings.public_url.startswith("https:"))
    app.add_middleware(CSRFMiddleware, secure=settings.public_url.startswith("https:"))
    # Pages, CSS, JS and JSON go compressed (a phone on a bad line loads the board
    # in a third of the bytes). Sockets pass through untouched.
    app.add_middleware(GZipMiddleware, minimum_size=512, compresslevel=6)
    app.add_middleware(OutageMiddleware)
    app.add_middleware(BodyLimit)  # outermost: nothing reads a body it has not counted
    return app
