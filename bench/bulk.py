"""Benchmark of bulk posting: 500 packages in one CSV over 2,000 providers.

Run from the repository root:  .venv/bin/python bench/bulk.py [--packages 500] [--providers 2000]

Starts a Redis server, the web process and an arq worker (as in production); creates the
providers (each covering two of forty Hertfordshire-area districts), then uploads one CSV of
the packages (`POST /api/packages/import`) while a second client keeps posting single
packages (`POST /api/packages`). Measures the time from the start of the upload until every
package's match events are on the event log (each chunk of rows is written in one
transaction with its packages' match events, and the upload answers once every chunk is in,
so this is the upload's answer time, checked against the log), and the p99 of the single
posts made meanwhile. The last line printed is the machine-readable summary.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import redis  # noqa: E402

from matcher import bulk  # noqa: E402
from tests.conftest import login, package_body, provider_body, tomorrow  # noqa: E402
from tests.notifier.conftest import bootstrap_admin  # noqa: E402
from tests.support import ADMIN_EMAIL, ADMIN_PASSWORD, GEO_CACHE, PASSWORD, RedisServer, Service  # noqa: E402

PREFIXES = ("SG", "AL", "HP", "WD", "EN", "LU")


def districts_and_postcodes(count: int = 40) -> list[tuple[str, str]]:
    """Real districts near Hertfordshire, each with one real postcode in it."""
    import geo

    index = geo.PostcodeIndex.load(GEO_CACHE)
    found = []
    for code in sorted(index.districts()):
        if code.startswith(PREFIXES) and code[2:].isdigit():
            rows = index.district_rows(code)
            if len(rows):
                found.append((code, index.place_at(rows.start).postcode))
    return found[:count]


def csv_of(n: int, places: list[tuple[str, str]], rng: random.Random) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=bulk.COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for i in range(n):
        writer.writerow({"reference": f"BENCH-{i:04d}", "postcode": rng.choice(places)[1], "urgency": rng.choice(["amber", "green"]),
                         "service_type": "homecare", "client_group": "older_people", "hours_per_week": str(rng.choice([7, 10.5, 14])),
                         "start_date": tomorrow(), "days": "mon wed fri", "band": rng.choice(["morning", "lunch", "bed"]),
                         "minutes": "30", "carers": "1", "time_critical": "no", "specialisms": "", "shareable_summary": "", "summary": ""})
    return out.getvalue()


def match_events_since(url: str, start_id: str, package_ids: set[str]) -> int:
    """package.matched events on the log after `start_id` for these packages."""
    seen = 0
    with redis.Redis.from_url(url, decode_responses=True) as r:
        cursor = f"({start_id}"
        while True:
            entries = r.xrange("hb:events", min=cursor, count=10_000)
            if not entries:
                return seen
            for entry_id, fields in entries:
                if fields.get("type") == "package.matched" and fields.get("package") in package_ids:
                    seen += 1
            cursor = f"({entries[-1][0]}"


async def run(args: argparse.Namespace) -> str:
    rng = random.Random(7)
    places = districts_and_postcodes()
    server = RedisServer()
    url = server.url(0)
    service = Service(url, env={"DEADLINE_AMBER_S": "86400"}, workers=1)
    try:
        service.start()
        await bootstrap_admin(service)
        admin = await login(service.url(), ADMIN_EMAIL, ADMIN_PASSWORD)
        await admin("POST", "/api/users", {"email": "broker@bench.test", "password": PASSWORD, "role": "broker"}, expect=201)
        broker = await login(service.url(), "broker@bench.test", PASSWORD)
        await broker("POST", "/api/areas", {"name": "Herts", "districts": [d for d, _ in places]}, expect=201)
        print(f"creating {args.providers} providers over {len(places)} districts", flush=True)
        for start in range(0, args.providers, 25):
            await asyncio.gather(*[broker("POST", "/api/providers", provider_body(
                f"Bench Care {p}", coverage=[{"kind": "districts", "codes": rng.sample([d for d, _ in places], 2)}], tiers={}), expect=201)
                for p in range(start, min(start + 25, args.providers))])
        text = csv_of(args.packages, places, rng)
        with redis.Redis.from_url(url, decode_responses=True) as r:
            last = r.xrevrange("hb:events", count=1)
            start_id = last[0][0] if last else "0-0"

        latencies: list[float] = []
        done = asyncio.Event()

        async def single_posts() -> None:
            async with httpx.AsyncClient(base_url=service.url(), headers={"Authorization": f"Bearer {broker.token}"}, timeout=120) as http:
                while not done.is_set() or len(latencies) < 20:
                    body = package_body(urgency="green", specialisms=[], postcode=rng.choice(places)[1], reference=None)
                    t0 = time.perf_counter()
                    response = await http.post("/api/packages", json=body)
                    latencies.append((time.perf_counter() - t0) * 1000)
                    assert response.status_code == 201, response.text

        print(f"uploading {args.packages} packages as CSV", flush=True)
        poster = asyncio.create_task(single_posts())
        await asyncio.sleep(0.2)
        started = time.perf_counter()
        async with httpx.AsyncClient(base_url=service.url(), headers={"Authorization": f"Bearer {broker.token}"}, timeout=600) as http:
            response = await http.post("/api/packages/import", content=text.encode(), headers={"Content-Type": "text/csv"})
        assert response.status_code == 201, response.text[:500]
        report = response.json()
        ids = {p["id"] for p in report["packages"]}
        expected = sum(p["matched"] for p in report["packages"])
        # In a thread: a synchronous scan of ~50,000 events would stall this loop, and with it the
        # single posts being timed (their answers would wait unread, inflating the p99).
        while (seen := await asyncio.to_thread(match_events_since, url, start_id, ids)) < expected:
            await asyncio.sleep(0.05)
        seconds = time.perf_counter() - started
        done.set()
        await poster
        latencies.sort()
        p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]
        print(f"posted={report['posted']} match_events={seen} single_posts={len(latencies)} median_post_ms={latencies[len(latencies) // 2]:.1f}", flush=True)
        for client in (admin, broker):
            await client.aclose()
        return f"packages={report['posted']} seconds={seconds:.2f} p99_post_ms={p99:.1f}"
    finally:
        service.stop()
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=500)
    parser.add_argument("--providers", type=int, default=2000)
    args = parser.parse_args()
    print(asyncio.run(run(args)), flush=True)


if __name__ == "__main__":
    main()
