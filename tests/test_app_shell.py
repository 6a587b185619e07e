"""The installable app's files: manifest with the icons an install needs, favicon, the
service worker served from the root (scope: the whole site) and never cached; text compressed."""

from __future__ import annotations

import httpx

from tests.support import Service


def test_manifest_icons_favicon_and_service_worker(clean: Service) -> None:
    base = clean.url()
    manifest = httpx.get(f"{base}/manifest.webmanifest")
    assert manifest.status_code == 200 and manifest.headers["content-type"].startswith("application/manifest+json")
    body = manifest.json()
    assert body["start_url"] == "/provider" and body["display"] == "standalone"
    sizes = {icon["sizes"] for icon in body["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in body["icons"]:
        fetched = httpx.get(base + icon["src"])
        assert fetched.status_code == 200 and fetched.headers["content-type"] == icon["type"]
    favicon = httpx.get(f"{base}/favicon.ico")
    assert favicon.status_code == 200 and favicon.content[:8] == b"\x89PNG\r\n\x1a\n"
    worker = httpx.get(f"{base}/sw.js")
    assert worker.status_code == 200 and "javascript" in worker.headers["content-type"]
    assert worker.headers["cache-control"] in ("no-cache", "no-store")  # an update reaches browsers next visit
    assert 'addEventListener("push"' in worker.text and 'addEventListener("notificationclick"' in worker.text


def test_text_is_gzipped_when_the_client_accepts_it(clean: Service) -> None:
    base = clean.url()
    for path in ("/static/js/live.js", "/static/govuk/govuk-frontend.min.css", "/login"):
        response = httpx.get(base + path, headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200 and response.headers.get("content-encoding") == "gzip", path
        plain = httpx.get(base + path, headers={"Accept-Encoding": "identity"})
        assert "content-encoding" not in plain.headers
        if path.startswith("/static/"):  # a page carries a fresh CSRF token each time
            assert plain.text == response.text
