"""Static files: this app's CSS/JS, and the specific dist folders of the npm packages
(installed by scripts/bootstrap from package-lock.json). Nothing is loaded from elsewhere."""

from __future__ import annotations

import functools
import re
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

ROOT = Path(__file__).resolve().parent.parent.parent
NODE = ROOT / "node_modules"
GOVUK = NODE / "govuk-frontend" / "dist" / "govuk"
LEAFLET = NODE / "leaflet" / "dist"
OWN = ROOT / "web" / "static"


@functools.cache
def govuk_css() -> bytes:
    """GOV.UK Frontend's CSS without the GDS Transport typeface, which only GOV.UK itself
    may use: the font stack falls back to Arial, and no font files are requested."""
    css = (GOVUK / "govuk-frontend.min.css").read_text(encoding="utf-8")
    css = re.sub(r"@font-face\{[^}]*\}", "", css)
    css = css.replace("font-family:GDS Transport,", "font-family:")
    return css.encode()


async def govuk_stylesheet(request: Request) -> Response:
    try:
        body = govuk_css()
    except FileNotFoundError:
        return Response("/* govuk-frontend is not installed: run ./scripts/bootstrap */", status_code=404, media_type="text/css")
    return Response(body, media_type="text/css")


async def service_worker(request: Request) -> Response:
    # From the root, so the worker's scope is the whole site; never cached, so an update
    # reaches browsers on their next visit.
    return Response((OWN / "sw.js").read_bytes(), media_type="text/javascript",
                    headers={"cache-control": "no-cache", "service-worker-allowed": "/"})


async def manifest(request: Request) -> Response:
    return Response((OWN / "manifest.webmanifest").read_bytes(), media_type="application/manifest+json")


async def favicon(request: Request) -> Response:
    return Response((OWN / "icons" / "icon-32.png").read_bytes(), media_type="image/png",
                    headers={"cache-control": "public, max-age=86400"})


routes = [
    Route("/sw.js", service_worker, methods=["GET"]),
    Route("/manifest.webmanifest", manifest, methods=["GET"]),
    Route("/favicon.ico", favicon, methods=["GET"]),
    Route("/static/govuk/govuk-frontend.min.css", govuk_stylesheet, methods=["GET"]),
    Mount("/static/govuk", app=StaticFiles(directory=GOVUK, check_dir=False), name="govuk"),
    Mount("/static/leaflet", app=StaticFiles(directory=LEAFLET, check_dir=False), name="leaflet"),
    Mount("/static", app=StaticFiles(directory=OWN, check_dir=False), name="static"),
]
