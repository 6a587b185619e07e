"""Benchmark of notification delivery through the real pipeline.

Run from the repository root:  .venv/bin/python bench/notify.py [--notifications 2000] [--workers 2] [--profile]

Starts a Redis server, the web process and arq workers (as in production), a real SMTP
server (aiosmtpd), a Twilio stand-in and a Web Push service stand-in (which checks VAPID and
decrypts every message, as a browser would) on loopback; creates provider users with phones
and one push subscription each, then posts red packages at once so that the matches fan out
into the requested number of notifications per channel (email, SMS and push). Measures from each record's creation (queued) to its
send, and counts duplicates as messages received beyond one per notification (SMS: same
number and body; email: same Message-ID; push: same device and Topic).
The last line printed is the machine-readable summary. With --profile, py-spy samples worker 0
and this process (which hosts the sinks) while the notifications drain, and prints where each
spends its time (bench/profile_spy.py; installs py-spy into the venv if it is missing).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from profile_spy import start_py_spy, stop_py_spy  # noqa: E402

from tests.conftest import Api, login, package_body, provider_body  # noqa: E402
from tests.notifier.conftest import bootstrap_admin, notify_env  # noqa: E402
from tests.notifier.push_standin import PushStandIn  # noqa: E402
from tests.notifier.standins import SmtpSink, TwilioStandIn  # noqa: E402
from tests.support import ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, RedisServer, Service  # noqa: E402

USERS_PER_PROVIDER = 5


async def setup(service: Service, url: str, users: int, push: PushStandIn) -> Api:
    await bootstrap_admin(service)
    admin = await login(service.url(), ADMIN_EMAIL, ADMIN_PASSWORD)
    await admin("POST", "/api/users", {"email": "broker@bench.test", "password": PASSWORD, "role": "broker"}, expect=201)
    broker = await login(service.url(), "broker@bench.test", PASSWORD)
    await broker("POST", "/api/areas", {"name": "Stevenage", "districts": ["SG1", "SG2"]}, expect=201)
    providers = math.ceil(users / USERS_PER_PROVIDER)
    made = 0
    with redis.Redis.from_url(url, decode_responses=True) as r:
        for p in range(providers):
            provider = await broker("POST", "/api/providers", provider_body(f"Bench Care {p}"), expect=201)
            for u in range(USERS_PER_PROVIDER):
                user = await admin("POST", "/api/users", {"email": f"u{u}@bench-{p}.test", "password": PASSWORD,
                                                          "role": "provider", "provider_id": provider["id"]}, expect=201)
                made += 1
                # Straight into Redis: signing in as each user only to set a phone would time argon2, not us.
                channels = {"red": ["ws", "email", "sms", "push"]}
                r.hset(f"hb:user:{user['id']}", "preferences", json.dumps({"phone": f"+447700{made:06d}", "channels": channels}))
                sub = push.device(f"d{made}").subscription()
                r.hset(f"hb:push-subscription:psub_bench{made:05d}", mapping={
                    "user_id": user["id"], "endpoint": sub["endpoint"], "p256dh": sub["keys"]["p256dh"], "auth": sub["keys"]["auth"]})
                r.sadd(f"hb:user:{user['id']}:push-subscriptions", f"psub_bench{made:05d}")
    await admin.aclose()
    return broker


def cpu_s(pid: int) -> float:
    """User + system CPU seconds a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def records(url: str, package_ids: list[str]) -> list[dict[str, str]]:
    with redis.Redis.from_url(url, decode_responses=True) as r:
        ids = [i for p in package_ids for i in r.zrange(f"hb:package:{p}:notifications", 0, -1)]
        pipe = r.pipeline(transaction=False)
        for i in ids:
            pipe.hgetall(f"hb:notification:{i}")
        return pipe.execute()


async def run(args: argparse.Namespace) -> str:
    calls, cpu = 0, {}
    server, smtp, twilio, push = RedisServer(), SmtpSink().start(), TwilioStandIn().start(), PushStandIn().start()
    url = server.url(0)
    service = Service(url, env=notify_env(smtp, twilio, DEADLINE_RED_S="3600"), workers=args.workers)
    try:
        service.start()
        users = args.users
        packages = math.ceil(args.notifications / users)
        print(f"setting up {users} provider users; {packages} red packages -> {packages * users * 3} notifications", flush=True)
        broker = await setup(service, url, users, push)
        spies = [start_py_spy("worker 0", service.worker_procs[0].pid), start_py_spy("bench process (sinks)", os.getpid())] \
            if args.profile else []
        with redis.Redis.from_url(url) as r:
            r.config_resetstat()
        # CPU used per notification, which, unlike rates, a busy shared machine barely moves.
        watched = {"workers": [p.pid for p in service.worker_procs], "redis": [server.proc.pid],
                   "web": [p.pid for p in service.web_procs], "sinks": [os.getpid()]}
        cpu_before = {k: sum(cpu_s(pid) for pid in pids) for k, pids in watched.items()}
        started = time.time()
        posted = await asyncio.gather(*[broker("POST", "/api/packages", package_body(urgency="red", specialisms=[]), expect=201)
                                        for _ in range(packages)])
        ids = [p["id"] for p in posted]
        want = packages * users * 3
        deadline = time.monotonic() + args.timeout
        last_read = time.monotonic()
        while time.monotonic() < deadline:
            # The sinks count in this process for free; the records (6,000 hashes) are read
            # only once the sinks have them all, or every 10 s in case some failed: reading
            # them twice a second took a real share of the two cores the workers need.
            received = len(smtp.all()) + len(twilio.all()) + len(push.all())
            if received >= want or time.monotonic() - last_read > 10:
                last_read = time.monotonic()
                notes = records(url, ids)
                done = sum(n.get("status") in ("sent", "delivered", "failed") for n in notes)
                if len(notes) >= want and done >= want:
                    break
            await asyncio.sleep(0.2)
        for spy in spies:
            stop_py_spy(spy)
        await asyncio.sleep(2)  # anything sent twice would arrive now
        cpu = {k: sum(cpu_s(pid) for pid in pids) - cpu_before[k] for k, pids in watched.items()}
        with redis.Redis.from_url(url, decode_responses=True) as r:
            calls = sum(v["calls"] for v in r.info("commandstats").values())
        notes = records(url, ids)
        await broker.aclose()
    finally:
        service.stop()
        smtp.stop()
        twilio.stop()
        push.stop()
        server.stop()
    sent = [n for n in notes if n.get("status") in ("sent", "delivered")]
    latencies = sorted((float(n["finished_at"]) - float(n["queued_at"])) * 1000 for n in sent)
    p99 = latencies[min(len(latencies) - 1, int(math.ceil(0.99 * len(latencies))) - 1)] if latencies else float("nan")
    first = min((float(n["queued_at"]) for n in notes), default=started)
    mails, texts = smtp.all(), twilio.all()
    email_span = max((m.at for m in mails), default=first) - first
    sms_span = max((s.at for s in texts), default=first) - first
    pushes = push.all()
    push_span = max((p.at for p in pushes), default=first) - first
    push_keys = Counter((p.device, p.topic) for p in pushes)
    email_ids = Counter(m.message_id for m in mails)
    sms_keys = Counter((s.to, s.body) for s in texts)
    duplicates = sum(c - 1 for c in email_ids.values()) + sum(c - 1 for c in sms_keys.values()) + sum(c - 1 for c in push_keys.values())
    failed = sum(n.get("status") == "failed" for n in notes)
    print(f"records={len(notes)} sent={len(sent)} failed={failed} emails_received={len(mails)} sms_received={len(texts)} "
          f"push_received={len(pushes)} push_rejected={len(push.rejected)} "
          f"p50_ms={latencies[len(latencies) // 2] if latencies else float('nan'):.0f} "
          f"redis_commands_per_notification={calls / max(1, len(notes)):.1f}", flush=True)
    print("cpu_ms_per_notification " + " ".join(f"{k}={1000 * v / max(1, len(notes)):.2f}" for k, v in cpu.items()), flush=True)
    return (f"emails_per_s={len(email_ids) / email_span if email_span > 0 else 0:.1f} "
            f"sms_per_s={len(sms_keys) / sms_span if sms_span > 0 else 0:.1f} "
            f"push_per_s={len(push_keys) / push_span if push_span > 0 else 0:.1f} "
            f"p99_enqueue_to_sent_ms={p99:.0f} duplicates={duplicates}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--notifications", type=int, default=2000, help="per channel")
    parser.add_argument("--users", type=int, default=50, help="provider users (each gets email + SMS + push per package)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--profile", action="store_true", help="py-spy worker 0 and the sinks while the burst drains")
    print(asyncio.run(run(parser.parse_args())), flush=True)


if __name__ == "__main__":
    main()
