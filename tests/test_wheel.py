"""A real deploy installs the wheel, not the checkout: build it, install it into a clean
venv, start `web` from a directory without the repository, and load /login with every
file it references (stylesheets, scripts, their imports and url()s)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest

from tests.support import GEO_CACHE, ROOT, RedisServer, free_port, wait_for

REFS = re.compile(r"""(?:href|src)="(/[^"]*)"|from\s+"(/[^"]+)"|import\s+"(/[^"]+)"|url\(\s*['"]?([^)'"#]+)['"]?\s*\)""")


def _references(url: str, body: str) -> set[str]:
    found = set()
    for match in REFS.finditer(body):
        ref = next(g for g in match.groups() if g)
        if ref.startswith("data:") or ref.startswith("#"):
            continue
        found.add(urljoin(url, ref))
    return found


@pytest.mark.timeout(400)
def test_installed_wheel_serves_login_and_every_asset(redis_server: RedisServer) -> None:
    work = Path(tempfile.mkdtemp(prefix="hb-wheel-"))
    pip_env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    # Built from a copy: setuptools writes build/ into the tree, and a stale one would leak in.
    source = work / "src"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".venv", "node_modules", ".git", ".cache", "data", "build", "*.egg-info", "__pycache__", ".pytest_cache"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "-q", "-w", str(work / "dist")],
                   check=True, env=pip_env, cwd=work)
    wheel = next((work / "dist").glob("*.whl"))
    subprocess.run([sys.executable, "-m", "venv", str(work / "venv")], check=True)
    python = work / "venv" / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", str(wheel)], check=True, env=pip_env, cwd=work)

    run_dir = work / "run"  # no repository, no node_modules here
    run_dir.mkdir()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update({"REDIS_URL": redis_server.url(7), "PORT": str(port), "DATA_DIR": str(run_dir / "data"),
                "GEO_CACHE_DIR": str(GEO_CACHE)})
    with open(work / "web.log", "wb") as log:
        proc = subprocess.Popen([str(python), "-m", "web.main"], cwd=run_dir, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"

        def ready() -> bool:
            assert proc.poll() is None, (work / "web.log").read_text()[-3000:]
            try:
                return httpx.get(base + "/readyz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(ready, "web from the wheel", timeout=90)
        page = httpx.get(base + "/login")
        assert page.status_code == 200, page.text[:500]
        seen: set[str] = set()
        queue = [u for u in _references(base + "/login", page.text) if u.startswith(base + "/static/")]
        assert any(u.endswith("govuk-frontend.min.css") for u in queue) and any(u.endswith("app.css") for u in queue)
        while queue:
            url = queue.pop()
            if url in seen:
                continue
            seen.add(url)
            response = httpx.get(url)
            assert response.status_code == 200, f"{url} -> {response.status_code}"
            if url.endswith((".css", ".js")):
                queue += [u for u in _references(url, response.text) if u.startswith(base)]
        assert any(u.endswith("govuk-frontend.min.js") for u in seen)  # followed init.js's import
        # The map page's Leaflet files are in the wheel too.
        for path in ("/static/leaflet/leaflet.css", "/static/leaflet/leaflet.js", "/static/leaflet/images/marker-icon.png"):
            assert httpx.get(base + path).status_code == 200, path
    finally:
        proc.terminate()
        proc.wait(10)


def test_vendored_front_end_files_match_the_lock_file() -> None:
    """web/static/vendor is a copy of what package-lock.json pins (scripts/vendor_assets)."""
    from scripts import vendor_assets

    recorded = json.loads((vendor_assets.VENDOR / "VERSIONS.json").read_text())
    lock = json.loads((ROOT / "package-lock.json").read_text())["packages"]
    for package in vendor_assets.FILES:
        assert recorded[package] == lock[f"node_modules/{package}"]["version"], package
        assert (vendor_assets.VENDOR / vendor_assets.FILES[package][0] / "LICENSE").is_file()
        if (vendor_assets.NODE / package).is_dir():
            for name in vendor_assets.FILES[package][1]:
                assert vendor_assets.destination(package, name).read_bytes() == (vendor_assets.NODE / package / name).read_bytes(), name


def test_missing_front_end_file_stops_the_start(tmp_path: Path) -> None:
    from web.pages import assets

    assert assets.missing() == []
    original = assets.REQUIRED
    try:
        assets.REQUIRED = [*original, tmp_path / "gone.css"]
        assert assets.missing() == [tmp_path / "gone.css"]
    finally:
        assets.REQUIRED = original
