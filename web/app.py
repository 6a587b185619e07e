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
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute

import geo
from accounts import AccountError
from config import Settings
from matcher import BrokerageError
from realtime import Hub, socket_endpoint
from service import Brokerage
from web import (
    metrics,
    pages,
    routes_accounts,
    routes_availability,
    routes_directory,
    routes_geo,
    routes_notify,
    routes_offers,
    routes_packages,
    routes_placement,
    routes_reports,
)
from web.csrf import CSRFMiddleware
from web.errors import error_body
from web.middleware import SecurityHeaders

log = logging.getLogger("web")


class State(TypedDict):
    brokerage: Brokerage
    hub: Hub


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    try:
        await asyncio.wait_for(request.state.brokerage.redis.ping(), timeout=2)
    except (RedisError, OSError, asyncio.TimeoutError):
        return JSONResponse(error_body("not_ready", "Redis does not answer."), status_code=503)
    return JSONResponse({"status": "ready"})


async def on_brokerage_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, (BrokerageError, AccountError))
    return JSONResponse(error_body(exc.code, exc.message, exc.fields), status_code=exc.status, headers=getattr(exc, "headers", None))


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
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
        hub = Hub(service.redis, settings.ws_send_queue)
        await hub.start_position()
        tasks = [
            asyncio.create_task(hub.run(), name="event-reader"),
            asyncio.create_task(hub.watch_revocations(), name="revocation-listener"),
        ]
        try:
            yield {"brokerage": service, "hub": hub}
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await service.close()

    routes = [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics.endpoint),
        WebSocketRoute("/ws", socket_endpoint),
        *routes_accounts.routes,
        *routes_directory.routes,
        *routes_packages.routes,
        *routes_placement.routes,
        *routes_geo.routes,
        *routes_offers.routes,
        *routes_notify.routes,
        *routes_availability.routes,
        *routes_reports.routes,
        *pages.routes,
    ]
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={
        BrokerageError: on_brokerage_error,
        AccountError: on_brokerage_error,
        HTTPException: on_http_error,
        Exception: on_unexpected,
    })
    app.state.metrics = metrics.Metrics()
    app.add_middleware(metrics.RequestMetrics, metrics=app.state.metrics)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(CSRFMiddleware, secure=settings.public_url.startswith("https:"))
    return app
