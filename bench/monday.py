"""A national Monday morning, measured on one machine.

Run from the repository root (after ./scripts/bootstrap):

    .venv/bin/python bench/monday.py [--providers 10000] [--users-per-provider 3]
        [--sockets 5000] [--packages 500] [--minutes 10] [--bursts 20]

All on 127.0.0.1: a Redis server, 2 `web`, 1 `realtime` and 2 `worker` processes as the
Procfile runs them, a real SMTP server (aiosmtpd) and a Twilio stand-in as the sinks.

1. Seeds, through the API: one area per GB postcode area (its districts, from the postcode
   index), providers each covering 5 districts of one area (so a district has about
   providers x 5 / districts of them, as a national framework would), users per provider,
   and a phone for every user that holds a socket (so red packages reach them by SMS).
2. Connects `--sockets` provider sockets to the realtime process, one per provider.
3. Posts `--packages` packages in `--bursts` bursts spread over `--minutes` (80 % amber,
   20 % red) at real postcodes of covered districts.
4. Measures, per package: the POST itself; post -> `package.matched` on each socket of a
   matched provider; post -> each email and SMS at the sinks. Expected deliveries come from
   the event log (each `package.matched` event names its providers), so a missing one is
   "lost" and a second one "duplicated". Redis memory and the CPU of every process.

The last line printed is the machine-readable summary.
Modules: procs.py, clients.py (bench/); the SMTP and Twilio sinks are the tests' own
stand-ins (tests/notifier/standins.py), the same real servers the notification tests use.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import random
import re
import shutil
import sys
import time
from typing import Any

from clients import Recorder, close_all, connect_all
from procs import (
    ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, ROOT, RedisProc, Service, cpu_seconds, login, package_body, percentile,
    provider_body, raise_nofile,
)

sys.path.insert(0, str(ROOT))
from tests.notifier.standins import SmtpSink, TwilioStandIn  # noqa: E402

PACKAGE_ID = re.compile(r"pkg_[0-9a-f]{11,24}")
CONCURRENCY = 32
DISTRICTS_PER_PROVIDER = 5


async def bounded(n: int, jobs: list[Any]) -> list[Any]:
    sem = asyncio.Semaphore(n)

    async def one(job: Any) -> Any:
        async with sem:
            return await job

    return await asyncio.gather(*(one(j) for j in jobs))


def postcode_areas() -> dict[str, list[str]]:
    import geo

    index = geo.PostcodeIndex.load(ROOT / ".cache" / "geo")
    areas: dict[str, list[str]] = collections.defaultdict(list)
    for district in index.districts():
        areas[re.match(r"[A-Z]+", district).group()].append(district)  # type: ignore[union-attr]
    return {name: sorted(d) for name, d in sorted(areas.items()) if len(d) >= DISTRICTS_PER_PROVIDER}


def postcodes_in(districts: list[str], per_district: int, rng: random.Random) -> dict[str, list[str]]:
    import geo

    index = geo.PostcodeIndex.load(ROOT / ".cache" / "geo")
    out = {}
    for district in districts:
        rows = index.district_rows(district)
        out[district] = [index.place_at(rng.randrange(rows.start, rows.stop)).postcode for _ in range(per_district)]
    return out


async def seed(service: Service, args: argparse.Namespace, rng: random.Random) -> dict[str, Any]:
    admin = await login(service.url(0), ADMIN_EMAIL, ADMIN_PASSWORD)
    await admin("POST", "/api/users", {"email": "broker@monday.test", "password": PASSWORD, "role": "broker"}, expect=201)
    brokers = [await login(service.url(n), "broker@monday.test", PASSWORD) for n in range(len(service.ports))]
    areas = postcode_areas()
    started = time.perf_counter()
    await bounded(CONCURRENCY, [brokers[i % 2]("POST", "/api/areas", {"name": name, "districts": ds}, expect=201)
                                for i, (name, ds) in enumerate(areas.items())])
    names = list(areas)
    coverage = []
    for i in range(args.providers):
        area = areas[names[i % len(names)]]
        coverage.append(rng.sample(area, DISTRICTS_PER_PROVIDER))
    providers = await bounded(CONCURRENCY, [brokers[i % 2]("POST", "/api/providers", provider_body(
        f"Monday Care {i:05d}", coverage=[{"kind": "districts", "codes": coverage[i]}]), expect=201)
        for i in range(args.providers)])
    print(f"  {len(areas)} areas, {len(providers)} providers in {time.perf_counter() - started:.0f}s", flush=True)
    started = time.perf_counter()
    users = [(p["id"], f"u{u}.{i}@monday-care.test") for u in range(args.users_per_provider)
             for i, p in enumerate(providers)]
    await bounded(CONCURRENCY, [admin("POST", "/api/users", {"email": email, "password": PASSWORD, "role": "provider",
                                                             "provider_id": pid}, expect=201) for pid, email in users])
    print(f"  {len(users)} users in {time.perf_counter() - started:.0f}s", flush=True)
    started = time.perf_counter()
    socket_users = users[:args.sockets]  # u0 of providers 0..S-1: one socket per provider

    async def sign_in(n: int, email: str) -> Any:
        api = await login(service.url(n), email, PASSWORD)
        await api("PUT", "/api/me/preferences", {"phone": f"+44770{n:07d}"}, expect=200)
        await api.aclose()
        return api.token

    tokens = await bounded(CONCURRENCY, [sign_in(n, email) for n, (_, email) in enumerate(socket_users)])
    print(f"  {len(tokens)} socket users signed in with phones in {time.perf_counter() - started:.0f}s", flush=True)
    covered = sorted({d for c in coverage for d in c})
    await admin.aclose()
    return {"brokers": brokers, "tokens": tokens, "socket_providers": [pid for pid, _ in socket_users],
            "covered": covered, "users_per_provider": args.users_per_provider,
            "phones_of": collections.Counter(pid for pid, _ in socket_users)}


async def post_all(brokers: list[Any], args: argparse.Namespace, covered: list[str],
                   rng: random.Random) -> tuple[dict[str, float], dict[str, str], list[float], collections.Counter[int]]:
    postcodes = postcodes_in(covered, 3, rng)
    posted_at: dict[str, float] = {}
    urgency_of: dict[str, str] = {}
    post_s: list[float] = []
    statuses: collections.Counter[int] = collections.Counter()
    per_burst = max(1, args.packages // args.bursts)
    gap = args.minutes * 60 / args.bursts
    n = 0
    for burst in range(args.bursts):
        burst_started = time.monotonic()

        async def one(k: int) -> None:
            district = rng.choice(covered)
            urgency = "red" if rng.random() < 0.2 else "amber"
            body = package_body(postcode=rng.choice(postcodes[district]), urgency=urgency, reference=f"MON-{k:05d}")
            t0 = time.time()
            response = await brokers[k % len(brokers)].raw("POST", "/api/packages", json=body)
            post_s.append(time.time() - t0)
            statuses[response.status_code] += 1
            if response.status_code == 201:
                package_id = response.json()["id"]
                posted_at[package_id] = t0
                urgency_of[package_id] = urgency

        count = per_burst if burst < args.bursts - 1 else args.packages - n
        await asyncio.gather(*(one(n + k) for k in range(count)))
        n += count
        print(f"  burst {burst + 1}/{args.bursts}: {count} posts, {len(posted_at)} acknowledged so far", flush=True)
        await asyncio.sleep(max(0.0, gap - (time.monotonic() - burst_started)))
    return posted_at, urgency_of, post_s, statuses


def matched_providers(redis_url: str) -> dict[str, list[str]]:
    """package id -> providers its `package.matched` events name, from the event log."""
    import redis

    out: dict[str, list[str]] = collections.defaultdict(list)
    with redis.Redis.from_url(redis_url, decode_responses=True) as r:
        cursor = "-"
        while True:
            page = r.xrange("hb:events", min=cursor, count=5000)
            for entry_id, raw in page:
                if raw.get("type") == "package.matched" and raw.get("package"):
                    out[raw["package"]].extend(p for p in raw.get("audience", "").split(",") if p)
            if len(page) < 5000:
                return out
            cursor = "(" + page[-1][0]


def latencies(name: str, arrivals: list[tuple[str, float]], posted_at: dict[str, float]) -> tuple[float, float]:
    values = sorted(at - posted_at[pid] for pid, at in arrivals if pid in posted_at)
    p50, p99 = percentile(values, 50), percentile(values, 99)
    print(f"  post -> {name}: {len(values)} deliveries, p50 {p50 * 1e3:.0f} ms, p99 {p99 * 1e3:.0f} ms, "
          f"max {values[-1] * 1e3 if values else float('nan'):.0f} ms", flush=True)
    return p50, p99


async def run(args: argparse.Namespace) -> None:
    rng = random.Random(20261123)
    redis_server = RedisProc()
    smtp, twilio = SmtpSink().start(), TwilioStandIn().start()
    service = Service(redis_server.url(0), env={
        "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port), "SMTP_STARTTLS": "false", "MAIL_FROM": "brokerage@monday.test",
        "TWILIO_ACCOUNT_SID": twilio.account_sid, "TWILIO_AUTH_TOKEN": twilio.auth_token, "TWILIO_FROM": "+447700900000",
        "TWILIO_API_BASE": twilio.base, "PUBLIC_URL": "https://brokerage.example.test",
        # Seeding 30,000 users is not what is measured: hash their passwords cheaply.
        "ARGON2_TIME_COST": "1", "ARGON2_MEMORY_KIB": "64",
        "DEADLINE_RED_S": "7200", "DEADLINE_AMBER_S": "86400", "SMS_FALLBACK_S": "86400",
    })
    try:
        service.start(webs=2, workers=2, realtimes=1)
        print(f"service up: {service.pids()}; logs {service.logs}", flush=True)
        print("== seeding ==", flush=True)
        world = await seed(service, args, rng)
        print("== sockets ==", flush=True)
        recorder = Recorder()
        recorder.reset(10**12)
        port = service.realtime_ports[0]
        clients = await connect_all([(port, f"ws://127.0.0.1:{port}/ws?token={t}") for t in world["tokens"]],
                                    "ours", recorder, "provider sockets")
        with_phone = set(world["socket_providers"])
        redis_pid = redis_server.proc.pid
        pids = {"redis": redis_pid, **service.pids()}
        cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        smtp.clear()
        twilio.clear()
        print(f"== posting {args.packages} packages in {args.bursts} bursts over {args.minutes} min ==", flush=True)
        window_started = time.monotonic()
        posted_at, urgency_of, post_s, statuses = await post_all(world["brokers"], args, world["covered"], rng)
        matched = matched_providers(redis_server.url(0))
        socket_of = collections.defaultdict(list)
        for idx, pid in enumerate(world["socket_providers"]):
            socket_of[pid].append(idx)
        want_sockets = sum(len(socket_of[p]) for pkg in posted_at for p in matched.get(pkg, []))
        want_email = sum(len(matched.get(pkg, [])) for pkg in posted_at) * world["users_per_provider"]
        want_sms = sum(1 for pkg in posted_at if urgency_of[pkg] == "red" for p in matched.get(pkg, []) if p in with_phone)
        deadline = time.monotonic() + args.drain_s
        while time.monotonic() < deadline:
            got = (len(recorder.records), len(smtp.all()), len(twilio.all()))
            if got[0] >= want_sockets and got[1] >= want_email and got[2] >= want_sms:
                break
            await asyncio.sleep(1.0)
        window_s = time.monotonic() - window_started
        cpu = {name: (cpu_seconds(pid) - cpu_before[name]) / window_s * 100 for name, pid in pids.items()}
        await close_all(clients)

        print("== results ==", flush=True)
        post_s.sort()
        print(f"  POST /api/packages: {dict(statuses)}, p50 {percentile(post_s, 50) * 1e3:.0f} ms, "
              f"p99 {percentile(post_s, 99) * 1e3:.0f} ms", flush=True)
        arrivals = []
        seen: collections.Counter[tuple[int, str]] = collections.Counter()
        for idx, t, data in recorder.records:
            msg = json.loads(data)
            if msg.get("type") == "package.matched":
                pid = msg["data"]["package"]["id"]
                seen[(idx, pid)] += 1
                if seen[(idx, pid)] == 1:
                    arrivals.append((pid, t))
        sock50, sock99 = latencies("socket", arrivals, posted_at)
        mails = smtp.all()
        ids = collections.Counter(m.message_id for m in mails)
        mail_arrivals = [(m.group(), mail.at) for mail in mails if (m := PACKAGE_ID.search(mail.part("plain")))]
        mail50, mail99 = latencies("email", mail_arrivals, posted_at)
        texts = twilio.all()
        sms_seen = collections.Counter((s.to, s.body) for s in texts)
        sms_arrivals = [(m.group(), s.at) for s in texts if (m := PACKAGE_ID.search(s.body))]
        sms50, sms99 = latencies("SMS", sms_arrivals, posted_at)
        socket_dup = sum(c - 1 for c in seen.values())
        lost = {"socket": max(0, want_sockets - len(seen)), "email": max(0, want_email - len(ids)),
                "sms": max(0, want_sms - len(sms_seen))}
        dup = {"socket": socket_dup, "email": sum(c - 1 for c in ids.values()), "sms": sum(c - 1 for c in sms_seen.values())}
        import redis

        with redis.Redis.from_url(redis_server.url(0)) as r:
            info = r.info("memory")
        redis_mb = info["used_memory"] / 2**20
        print(f"  expected: sockets {want_sockets}, email {want_email}, sms {want_sms}; lost {lost}; duplicated {dup}")
        print(f"  Redis: {redis_mb:.0f} MB used (peak {info['used_memory_peak'] / 2**20:.0f} MB), "
              f"CPU over the {window_s:.0f} s window: "
              + ", ".join(f"{name} {pct:.0f}%" for name, pct in cpu.items()), flush=True)
        print(f"providers={args.providers} users={args.providers * args.users_per_provider} sockets={len(clients)} "
              f"packages={len(posted_at)} post_p50_ms={percentile(post_s, 50) * 1e3:.0f} "
              f"post_p99_ms={percentile(post_s, 99) * 1e3:.0f} socket_p50_ms={sock50 * 1e3:.0f} "
              f"socket_p99_ms={sock99 * 1e3:.0f} email_p50_ms={mail50 * 1e3:.0f} email_p99_ms={mail99 * 1e3:.0f} "
              f"sms_p50_ms={sms50 * 1e3:.0f} sms_p99_ms={sms99 * 1e3:.0f} redis_mb={redis_mb:.0f} "
              f"redis_cpu_pct={cpu['redis']:.0f} lost={sum(lost.values())} duplicated={sum(dup.values())}", flush=True)
        for broker in world["brokers"]:
            await broker.aclose()
    finally:
        service.stop()
        smtp.stop()
        twilio.stop()
        redis_server.stop()
        if not args.keep_logs:
            shutil.rmtree(service.logs, ignore_errors=True)
            shutil.rmtree(redis_server.dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--providers", type=int, default=10000, help="providers seeded")
    parser.add_argument("--users-per-provider", type=int, default=3, help="users per provider")
    parser.add_argument("--sockets", type=int, default=5000, help="provider users connected by websocket")
    parser.add_argument("--packages", type=int, default=500, help="packages posted")
    parser.add_argument("--minutes", type=float, default=10, help="minutes over which the bursts are spread")
    parser.add_argument("--bursts", type=int, default=20, help="bursts the packages are posted in")
    parser.add_argument("--drain-s", type=float, default=300, help="how long to wait for the last deliveries")
    parser.add_argument("--keep-logs", action="store_true", help="keep the service's logs")
    args = parser.parse_args()
    args.sockets = min(args.sockets, args.providers)
    raise_nofile(args.sockets + 4096)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
