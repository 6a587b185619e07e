"""Prometheus text metrics for /metrics: requests by route and status, open sockets,
events fanned out. Counters are per process, as Prometheus expects of each target."""

from __future__ import annotations

import hmac
import time
from collections import Counter
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.csrf import bearer


@dataclass
class Metrics:
    requests: Counter[tuple[str, str, int]] = field(default_factory=Counter)
    seconds: Counter[tuple[str, str]] = field(default_factory=Counter)
    started: float = field(default_factory=time.time)

    def render(self, gauges: dict[str, float]) -> str:
        lines = [
            "# HELP hb_http_requests_total HTTP requests by route template, method and status.",
            "# TYPE hb_http_requests_total counter",
        ]
        for (route, method, status), n in sorted(self.requests.items()):
            lines.append(f'hb_http_requests_total{{route="{route}",method="{method}",status="{status}"}} {n}')
        lines += ["# HELP hb_http_request_seconds_total Time spent answering, by route.", "# TYPE hb_http_request_seconds_total counter"]
        for (route, method), s in sorted(self.seconds.items()):
            lines.append(f'hb_http_request_seconds_total{{route="{route}",method="{method}"}} {s:.6f}')
        for name, value in sorted(gauges.items()):
            lines += [f"# TYPE {name} gauge", f"{name} {value}"]
        lines += ["# TYPE hb_process_uptime_seconds gauge", f"hb_process_uptime_seconds {time.time() - self.started:.1f}"]
        return "\n".join(lines) + "\n"


class RequestMetrics:
    """Counts by route template (never the raw path: it holds ids)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            method = scope.get("method", "")
            self.metrics.requests[(route, method, status)] += 1
            self.metrics.seconds[(route, method)] += time.perf_counter() - started


async def endpoint(request: Request) -> Response:
    expected = request.state.brokerage.settings.metrics_token
    if expected is not None:
        # Prometheus sends it as `authorization: credentials_file` / bearer_token.
        sent = bearer(request.headers.get("authorization", "")) or ""
        if not hmac.compare_digest(sent.encode(), expected.encode()):
            return PlainTextResponse("metrics need Authorization: Bearer <METRICS_TOKEN>\n", status_code=401,
                                     headers={"www-authenticate": "Bearer"})
    metrics: Metrics = request.app.state.metrics
    hub = request.state.hub
    gauges = {"hb_websocket_connections": len(hub.subscribers), "hb_events_dispatched_total": hub.dispatched}
    return PlainTextResponse(metrics.render(gauges), media_type="text/plain; version=0.0.4")
