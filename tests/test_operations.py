"""Operations: health, readiness, metrics, the embedded Redis, a bad configuration."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from tests.conftest import World, login
from tests.support import ROOT, RedisServer, Service, free_port


async def test_health_ready_and_metrics(world: World) -> None:
    async with httpx.AsyncClient(base_url=world.service.url()) as http:
        assert (await http.get("/healthz")).status_code == 200
        assert (await http.get("/readyz")).status_code == 200
        await world.post()
        text = (await http.get("/metrics")).text
    assert 'hb_http_requests_total{route="/api/packages",method="POST",status="201"}' in text
    assert "hb_websocket_connections" in text
    assert "SG1" not in text  # routes are templates; no ids or personal data


async def test_readyz_fails_when_redis_is_gone() -> None:
    server = RedisServer()
    service = Service(server.url(0)).start()
    try:
        assert httpx.get(f"{service.url()}/readyz").status_code == 200
        server.stop()
        response = httpx.get(f"{service.url()}/readyz", timeout=10)
        assert response.status_code == 503 and response.json()["error"]["code"] == "not_ready"
        assert httpx.get(f"{service.url()}/healthz").status_code == 200
    finally:
        service.stop()


async def test_embedded_redis_is_shared_by_web_and_worker() -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="hb-embedded-"))
    service = Service("", env={"DATA_DIR": str(data_dir), "DEADLINE_RED_S": "2"})
    service.environment = lambda: {k: v for k, v in Service.environment(service).items() if k != "REDIS_URL"}  # type: ignore[method-assign]
    service.start()
    try:
        assert (data_dir / "redis.sock").exists()
        admin = await login(service.url(), "admin@brokerage.test", "admin-password-123")
        await admin("POST", "/api/providers", {
            "name": "Only One", "cqc_rating": "good", "specialisms": [], "client_groups": ["older_people"],
            "service_types": ["homecare"], "coverage": [{"kind": "districts", "codes": ["SG1"]}], "tiers": {}, "email": "o@o.test",
        }, expect=201)
        package = await admin("POST", "/api/packages", {
            "postcode": "SG1 1AA", "urgency": "red", "service_type": "homecare", "client_group": "older_people",
            "hours_per_week": 5, "start_date": "2030-01-01", "visits": [{"days": ["mon"], "band": "lunch", "minutes": 30, "carers": 1}],
        }, expect=201)
        for _ in range(60):
            status = (await admin("GET", f"/api/packages/{package['id']}", expect=200))["status"]
            if status == "unplaced":
                break
            time.sleep(0.2)
        assert status == "unplaced"  # the worker, on the same embedded Redis, closed the window
        assert (data_dir / "appendonly.aof").exists()
        await admin.aclose()
    finally:
        service.stop()
        subprocess.run([str(Path(sys.executable).parent / "python"), "-c",
                        f"import redis; r = redis.Redis(unix_socket_path='{data_dir}/redis.sock');\ntry: r.shutdown(nosave=True)\nexcept Exception: pass"], check=False)


def test_bad_configuration_stops_the_web_process_with_a_message() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "web.main"], cwd=ROOT, capture_output=True, text=True, timeout=30,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "PORT": str(free_port()), "DEADLINE_RED_S": "soon", "REDIS_URL": "redis://127.0.0.1:1/0"},
    )
    assert result.returncode != 0
    assert "DEADLINE_RED_S" in result.stderr
