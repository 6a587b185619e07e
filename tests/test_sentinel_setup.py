"""Redis Sentinel set up by an operator: a wrong value stops web, realtime and worker at start
with one line naming the variable (no traceback, no endless wait), Redis not answering is
an outage that realtime and the worker wait out, and the primary's
connections let a blocking read wait as long as it asks (the event reader's XREAD BLOCK,
the revocation listener), as on REDIS_URL.

Real redis-server and sentinel processes on loopback (tests/sentinel.py)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
import time

import pytest

from config import ConfigError, RedisTarget, RedisUnreachable, preflight
from tests.sentinel import MASTER, SentinelCluster
from tests.support import GEO_CACHE, ROOT, free_port

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
def cluster():
    started = SentinelCluster().start()
    try:
        yield started
    finally:
        started.stop()


def sentinels(cluster: SentinelCluster) -> tuple[tuple[str, int], ...]:
    return tuple(("127.0.0.1", cluster.ports[f"s{n}"]) for n in range(3))


async def test_a_blocking_read_on_the_primary_waits_as_long_as_it_asks(cluster: SentinelCluster) -> None:
    # The sentinels' 1 s timeout used to bound every read from the primary too: the event
    # reader's 5 s XREAD BLOCK and the revocation listener failed after each quiet second.
    client = RedisTarget(sentinels=sentinels(cluster), master_name=MASTER).connect()
    try:
        started = time.monotonic()
        assert await client.xread({"hb:test:quiet": "$"}, block=2500) == []
        assert time.monotonic() - started >= 2.4

        async with client.pubsub() as pubsub:
            await pubsub.subscribe("hb:test:revoked")

            async def publish_later() -> None:
                await asyncio.sleep(2.5)
                await client.publish("hb:test:revoked", "a-token-hash")

            async def first_message() -> str:
                async for item in pubsub.listen():
                    if item["type"] == "message":
                        return str(item["data"])
                raise AssertionError("the subscription ended")

            publisher = asyncio.create_task(publish_later())
            assert await asyncio.wait_for(first_message(), 10) == "a-token-hash"
            await publisher
    finally:
        await client.aclose()
        for sentinel in client.connection_pool.sentinel_manager.sentinels:  # type: ignore[attr-defined]
            await sentinel.aclose()


async def test_preflight_finds_the_primary(cluster: SentinelCluster) -> None:
    await preflight(RedisTarget(sentinels=sentinels(cluster), master_name=MASTER))


async def test_a_master_name_no_sentinel_watches_is_named(cluster: SentinelCluster) -> None:
    with pytest.raises(ConfigError, match=rf"REDIS_MASTER_NAME='mymaster'.*they watch: {MASTER}") as caught:
        await preflight(RedisTarget(sentinels=sentinels(cluster), master_name="mymaster"))
    assert not isinstance(caught.value, RedisUnreachable)  # waiting would never help


async def test_a_redis_server_given_as_a_sentinel_is_named(cluster: SentinelCluster) -> None:
    with pytest.raises(ConfigError, match=r"REDIS_SENTINELS: .* not as a sentinel") as caught:
        await preflight(RedisTarget(sentinels=(("127.0.0.1", cluster.ports["a"]),), master_name=MASTER))
    assert not isinstance(caught.value, RedisUnreachable)


async def test_no_sentinel_answering_is_unreachable() -> None:
    with pytest.raises(RedisUnreachable, match="REDIS_SENTINELS: no sentinel answered"):
        await preflight(RedisTarget(sentinels=(("127.0.0.1", free_port()), ("127.0.0.1", free_port()))))


def start(module: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    data = tempfile.mkdtemp(prefix="hb-preflight-")
    return subprocess.run([sys.executable, "-m", module], cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "DATA_DIR": data,
                               "GEO_CACHE_DIR": str(GEO_CACHE), "PORT": str(free_port()),
                               "REALTIME_PORT": str(free_port()), **env})


@pytest.mark.parametrize("module", ["web.main", "realtime", "worker"])
def test_a_wrong_master_name_stops_each_process_with_one_line(cluster: SentinelCluster, module: str) -> None:
    started = time.monotonic()
    result = start(module, {"REDIS_SENTINELS": ",".join(f"{h}:{p}" for h, p in sentinels(cluster)),
                            "REDIS_MASTER_NAME": "mymaster"})
    assert result.returncode != 0
    assert "configuration error: REDIS_MASTER_NAME='mymaster'" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    print(f"{module}: stopped in {time.monotonic() - started:.1f} s: {result.stderr.strip().splitlines()[-1]}")


@pytest.mark.parametrize("env", [{"REDIS_SENTINELS": "127.0.0.1:1"}, {"REDIS_URL": "redis://:a-secret@127.0.0.1:1/0"}],
                         ids=["sentinels", "url"])
def test_nothing_answering_stops_web_with_one_line(env: dict[str, str]) -> None:
    # web's startup needs Redis (the admin account, the consumer groups)
    result = start("web.main", env)
    assert result.returncode != 0
    assert "cannot reach Redis: REDIS_" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr + result.stdout and "a-secret" not in result.stderr


@pytest.mark.parametrize("module", ["realtime"])
@pytest.mark.parametrize("env", [{"REDIS_SENTINELS": "127.0.0.1:1"}, {"REDIS_URL": "redis://:a-secret@127.0.0.1:1/0"}],
                         ids=["sentinels", "url"])
def test_nothing_answering_is_an_outage_realtime_serves_through(module: str, env: dict[str, str]) -> None:
    """Redis down (or still starting) when realtime starts is an outage, not a wrong value:
    it says so in one line and serves, its event reader waiting Redis out."""
    port = free_port()
    data = tempfile.mkdtemp(prefix="hb-preflight-")
    with tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen([sys.executable, "-m", module], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err, text=True,
                                env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "DATA_DIR": data,
                                     "GEO_CACHE_DIR": str(GEO_CACHE), "PORT": str(port), "REALTIME_PORT": str(port), **env})
        try:
            deadline = time.monotonic() + 60
            while True:
                err.seek(0)
                logged = err.read()
                if "REDIS_" in logged and ("waiting for it" in logged or "serving 503" in logged):
                    break
                assert proc.poll() is None, f"{module} exited: {logged}"
                assert time.monotonic() < deadline, f"no outage line from {module}: {logged}"
                time.sleep(0.2)
            if module == "web.main":
                import httpx
                while True:
                    try:
                        ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5)
                        break
                    except httpx.TransportError:
                        assert proc.poll() is None and time.monotonic() < deadline, "web never served"
                        time.sleep(0.2)
                assert ready.status_code == 503
                assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
            assert proc.poll() is None
        finally:
            proc.terminate()
            proc.wait(30)
        err.seek(0)
        logged = err.read()
    assert "Traceback" not in logged.split("REDIS_")[0] and "a-secret" not in logged
