"""Static files: this app's CSS/JS and the front-end files it uses from GOV.UK Frontend and
Leaflet, copied into the package (web/static/vendor, versions in VERSIONS.json, licences kept;
`python -m scripts.vendor_assets` refreshes them from package-lock.json). An installed wheel
serves them without npm; nothing is loaded from elsewhere."""

from __future__ import annotations

import functools
import re
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

WEB = Path(__file__).resolve().parent.parent
OWN = WEB / "static"
GOVUK = OWN / "vendor" / "govuk"
LEAFLET = OWN / "vendor" / "leaflet"
TEMPLATES = WEB / "templates"
# What the pages reference; a deploy without one of them must not start and serve bare HTML.
REQUIRED = [
    GOVUK / "govuk-frontend.min.css", GOVUK / "govuk-frontend.min.js", LEAFLET / "leaflet.css", LEAFLET / "leaflet.js",
    OWN / "css" / "app.css", OWN / "js" / "init.js", TEMPLATES / "base.html", TEMPLATES / "login.html",
]


def missing() -> list[Path]:
    """Files the pages need that this installation lacks (checked at start)."""
    return [path for path in REQUIRED if not path.is_file()]


@functools.cache
def govuk_css() -> bytes:
    """GOV.UK Frontend's CSS without the GDS Transport typeface, which only GOV.UK itself
    may use: the font stack falls back to Arial, and no font files are requested."""
    css = (GOVUK / "govuk-frontend.min.css").read_text(encoding="utf-8")
    css = re.sub(r"@font-face\{[^}]*\}", "", css)
    css = css.replace("font-family:GDS Transport,", "font-family:")
    css = css.replace("url(/assets/images/", "url(/static/govuk/assets/images/")
    return css.encode()


async def govuk_stylesheet(request: Request) -> Response:
    try:
        body = govuk_css()
    except FileNotFoundError:
        return Response("/* govuk-frontend.min.css is missing from web/static/vendor */", status_code=404, media_type="text/css")
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
