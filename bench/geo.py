"""Benchmark of geo: postcode load/lookup and coverage matching, against PostGIS.

Run from the repository root:  python bench/geo.py [--providers N] [--packages N] [--seed S]

12,000 providers across England with a mix of district lists, radii and drawn polygons,
10,000 package postcodes, all seeded random from the real Code-Point Open data. The same
coverage is loaded into a throwaway PostgreSQL 15 + PostGIS cluster with GiST indexes,
and the same "who covers this postcode and is eligible" query is timed there.
The last line printed is the machine-readable summary.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import pathlib
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import shapely  # noqa: E402

import geo  # noqa: E402
from geo import grid  # noqa: E402

CACHE = ROOT / ".cache" / "geo"
NOT_ENGLAND = {  # Scottish and Welsh postcode areas
    "AB", "DD", "DG", "EH", "FK", "G", "HS", "IV", "KA", "KW", "KY", "ML", "PA", "PH", "TD",
    "ZE", "CF", "LD", "LL", "NP", "SA",
}
SPECIALISMS = ["dementia", "end_of_life", "peg_feeding", "challenging_behaviour", "stroke",
               "parkinsons", "diabetes_insulin", "catheter_stoma", "bariatric",
               "acquired_brain_injury", "autism", "sensory_impairment"]
CLIENT_GROUPS = ["older_people", "physical_disability", "learning_disability", "mental_health"]
SERVICE_TYPES = ["homecare", "reablement", "live_in"]
PG_BIN = pathlib.Path("/usr/lib/postgresql/15/bin")


def rss_mb() -> dict[str, float]:
    """VmRSS split into anonymous (private) and file-backed (shared page cache) parts."""
    out = {}
    with open("/proc/self/status") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "RssAnon", "RssFile"):
                out[key] = int(value.split()[0]) / 1024
    return out


def area(district: str) -> str:
    """Postcode area: the leading letters of the district ("RH10" -> "RH")."""
    return district[:2] if district[1].isalpha() else district[:1]


def measure_load(n_lookups: int, seed: int) -> dict:
    """Runs in a fresh child process, so the RSS delta is the index's and nothing else's."""
    before = rss_mb()
    t = time.perf_counter()
    index = geo.PostcodeIndex.load(CACHE)
    load_s = time.perf_counter() - t
    after_load = rss_mb()
    rng = np.random.default_rng(seed)
    # Keys to look up come from the keys array itself, so making them touches no records.
    from geo.postcode import key_to_postcode
    keys = index._keys  # noqa: SLF001 - sampling only
    rows = rng.integers(0, len(index), 2 * n_lookups)
    codes = [key_to_postcode(keys.item(int(r))).lower() for r in rows]
    first, steady = [], []
    for k, pc in enumerate(codes):
        t0 = time.perf_counter_ns()
        index.lookup(pc)
        (first if k < n_lookups else steady).append(time.perf_counter_ns() - t0)
    after_use = rss_mb()
    return {"load_s": load_s, "postcodes": len(index),
            "rss_load_mb": after_load["VmRSS"] - before["VmRSS"],
            "rss_used_mb": after_use["VmRSS"] - before["VmRSS"],
            "rss_anon_mb": after_use["RssAnon"] - before["RssAnon"],
            "rss_file_mb": after_use["RssFile"] - before["RssFile"],
            "lookup_cold_us": statistics.median(first) / 1000,
            "lookup_us": statistics.median(steady) / 1000}


# ---------------------------------------------------------------- synthetic world

def english_places(index: geo.PostcodeIndex, rng: np.random.Generator, n: int) -> list[geo.Place]:
    out: list[geo.Place] = []
    while len(out) < n:
        p = index.place_at(int(rng.integers(0, len(index))))
        if area(p.district) not in NOT_ENGLAND:
            out.append(p)
    return out


def star_polygon(rng: np.random.Generator, e: float, n: float) -> dict:
    """An irregular shape like one drawn on a map around a town: star-shaped, so valid."""
    k = int(rng.integers(8, 24))
    ang = (np.arange(k) + rng.uniform(0.15, 0.85, k)) * (2 * math.pi / k)
    rad = rng.uniform(4_000, 18_000) * rng.uniform(0.55, 1.0, k)
    lon, lat = grid.to_wgs84().transform(e + rad * np.cos(ang), n + rad * np.sin(ang))
    ring = [[round(x, 6), round(y, 6)] for x, y in zip(lon, lat)]
    return {"type": "Polygon", "coordinates": [ring + [ring[0]]]}


def make_providers(index: geo.PostcodeIndex, rng: np.random.Generator, n: int) -> dict[str, dict]:
    districts = [d for d in index.districts() if area(d) not in NOT_ENGLAND]
    cent = np.array([index.district_centroid(d) for d in districts])
    centres = english_places(index, rng, n)
    providers = {}
    for i, c in enumerate(centres):
        roll = rng.random()
        raw: list[dict] = []
        if roll < 0.60:  # district lists: the commonest form on today's frameworks
            near = np.argsort(np.hypot(cent[:, 0] - c.easting, cent[:, 1] - c.northing))
            raw.append({"kind": "districts",
                        "codes": [districts[j] for j in near[: int(rng.integers(1, 11))]]})
        if roll >= 0.45 and roll < 0.90:
            raw.append({"kind": "radius", "postcode": c.postcode,
                        "km": round(float(rng.uniform(3, 25)), 1)})
        if roll >= 0.85:
            raw.append({"kind": "polygon", "geojson": star_polygon(rng, c.easting, c.northing)})
        providers[f"p{i}"] = {
            "coverage": geo.parse_coverage(raw, index),
            "active": rng.random() > 0.05,
            "rating": rng.choice(["outstanding", "good", "good", "good", "requires_improvement",
                                  "inadequate"], p=[0.05, 0.3, 0.3, 0.22, 0.1, 0.03]),
            "specialisms": frozenset(rng.choice(SPECIALISMS, int(rng.integers(2, 10)), replace=False)),
            "client_groups": frozenset(rng.choice(CLIENT_GROUPS, int(rng.integers(1, 5)), replace=False)),
            "service_types": frozenset(rng.choice(SERVICE_TYPES, int(rng.integers(1, 4)), replace=False)),
        }
    return providers


def make_packages(index: geo.PostcodeIndex, rng: np.random.Generator, n: int) -> list[dict]:
    return [{"place": p,
             "specialisms": frozenset(rng.choice(SPECIALISMS, int(rng.integers(0, 3)), replace=False)),
             "client_group": str(rng.choice(CLIENT_GROUPS)),
             "service_type": str(rng.choice(SERVICE_TYPES, p=[0.8, 0.15, 0.05]))}
            for p in english_places(index, rng, n)]


def eligible(pr: dict, pkg: dict) -> bool:
    return (pr["active"] and pr["rating"] != "inadequate"
            and pr["specialisms"] >= pkg["specialisms"]
            and pkg["client_group"] in pr["client_groups"]
            and pkg["service_type"] in pr["service_types"])


# ---------------------------------------------------------------- PostGIS

class PostGIS:
    """A private cluster on a unix socket in a temp dir, gone when the bench ends."""

    def __init__(self) -> None:
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="geo-bench-pg-"))
        self.data, self.sock = self.dir / "data", self.dir / "sock"
        self.sock.mkdir()
        with socket.socket() as s:  # a free port number names the socket file
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.started = False

    def _as_postgres(self, cmd: list[str]) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd

    @staticmethod
    def ensure_installed() -> None:
        if (PG_BIN / "initdb").exists() and pathlib.Path(
                "/usr/share/postgresql/15/extension/postgis.control").exists():
            return
        if os.geteuid() != 0:
            raise RuntimeError("PostgreSQL 15 + PostGIS are not installed and we are not root")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update"], check=True, capture_output=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", "postgresql",
                        "postgresql-15-postgis-3"], check=True, capture_output=True, env=env)

    def start(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
            shutil.chown(self.sock, "postgres")
        subprocess.run(self._as_postgres([str(PG_BIN / "initdb"), "-D", str(self.data), "-U",
                                          "postgres", "--auth=trust", "-E", "UTF8",
                                          "--no-sync"]), check=True, capture_output=True)
        opts = (f"-k {self.sock} -p {self.port} -c listen_addresses='' -c fsync=off "
                "-c shared_buffers=256MB -c work_mem=16MB -c jit=off")
        subprocess.run(self._as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o",
                                          opts, "-l", str(self.dir / "log"), "-w", "start"]),
                       check=True, capture_output=True)
        self.started = True
        self.sql("CREATE EXTENSION postgis;")

    def sql(self, text: str, data: str = "") -> str:
        """Run a script (each statement its own transaction); data feeds a COPY FROM STDIN."""
        cmd = ["psql", "-h", str(self.sock), "-p", str(self.port), "-U", "postgres", "-X",
               "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-f", "-"]
        res = subprocess.run(cmd, input=text + "\n" + data, capture_output=True, text=True)
        if res.returncode:
            raise RuntimeError(res.stderr.strip()[-2000:])
        return res.stdout

    def stop(self) -> None:
        if self.started:
            subprocess.run(self._as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data),
                                              "-m", "immediate", "stop"]), capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)


def ewkb(g: shapely.Geometry) -> str:
    return shapely.to_wkb(shapely.set_srid(g, 27700), hex=True, include_srid=True)


def pg_array(values) -> str:
    return "{" + ",".join(sorted(values)) + "}"


SCHEMA = """
CREATE TABLE providers (id int PRIMARY KEY, active bool, rating text, specialisms text[],
                        client_groups text[], service_types text[]);
CREATE TABLE cov_district (provider_id int, district text);
CREATE TABLE cov_radius (provider_id int, centre geometry(Point, 27700), r float8,
                         zone geometry(Polygon, 27700));
CREATE TABLE cov_polygon (provider_id int, geom geometry(Geometry, 27700));
CREATE TABLE packages (id int PRIMARY KEY, district text, pt geometry(Point, 27700),
                       specialisms text[], client_group text, service_type text);
CREATE TABLE results (id int, ids int[], ns float8);
"""

INDEXES = """
UPDATE cov_radius SET zone = ST_Expand(centre, r);
CREATE INDEX ON cov_district (district);
CREATE INDEX ON cov_radius USING gist (zone);
CREATE INDEX ON cov_polygon USING gist (geom);
VACUUM ANALYZE;
"""

# The same question geo answers, in SQL: radius by exact distance behind the box index,
# polygon by ST_Intersects (boundary counts, as in geo), then the eligibility filter.
TIMING = """
CREATE FUNCTION run_matches() RETURNS void LANGUAGE plpgsql AS $$
DECLARE pk record; t0 timestamptz; res int[];
BEGIN
  FOR pk IN SELECT * FROM packages ORDER BY id LOOP
    t0 := clock_timestamp();
    SELECT array_agg(p.id) INTO res FROM providers p
     WHERE p.active AND p.rating <> 'inadequate' AND p.specialisms @> pk.specialisms
       AND pk.client_group = ANY (p.client_groups) AND pk.service_type = ANY (p.service_types)
       AND p.id IN (SELECT provider_id FROM cov_district WHERE district = pk.district
                    UNION SELECT provider_id FROM cov_radius
                           WHERE zone && pk.pt AND ST_DWithin(centre, pk.pt, r)
                    UNION SELECT provider_id FROM cov_polygon WHERE ST_Intersects(geom, pk.pt));
    INSERT INTO results VALUES (pk.id, res,
        extract(epoch FROM clock_timestamp() - t0) * 1e9);
  END LOOP;
END $$;
SELECT run_matches();
"""


# The package is read inside the statement; as a scalar subquery its columns are constants
# to the matching part, which is then planned exactly like the plpgsql loop's query.
ROUND_TRIP = """\\set k random(0, {last})
SELECT (SELECT array_agg(p.id) FROM providers p
         WHERE p.active AND p.rating <> 'inadequate' AND p.specialisms @> pk.specialisms
           AND pk.client_group = ANY (p.client_groups) AND pk.service_type = ANY (p.service_types)
           AND p.id IN (SELECT provider_id FROM cov_district WHERE district = pk.district
                        UNION SELECT provider_id FROM cov_radius
                               WHERE zone && pk.pt AND ST_DWithin(centre, pk.pt, r)
                        UNION SELECT provider_id FROM cov_polygon WHERE ST_Intersects(geom, pk.pt)))
  FROM packages pk WHERE pk.id = :k;
"""


def round_trip_ms(pg: "PostGIS", n_packages: int) -> float:
    """Mean latency of the query as an application sees it: prepared, over the socket."""
    script = pg.dir / "match.sql"
    script.write_text(ROUND_TRIP.format(last=n_packages - 1))
    res = subprocess.run([str(PG_BIN / "pgbench"), "-h", str(pg.sock), "-p", str(pg.port),
                          "-U", "postgres", "-n", "-M", "prepared", "-c", "1",
                          "-t", str(n_packages), "-f", str(script), "postgres"],
                         capture_output=True, text=True, check=True)
    for line in res.stdout.splitlines():
        if line.startswith("latency average"):
            return float(line.split("=")[1].split()[0])
    raise RuntimeError("pgbench printed no latency")


def postgis_bench(providers: dict[str, dict], packages: list[dict]) -> tuple[float, dict[int, set[str]]]:
    PostGIS.ensure_installed()
    pg = PostGIS()
    try:
        pg.start()
        pg.sql(SCHEMA)
        prov, dist, rad, poly = [], [], [], []
        for pid, pr in providers.items():
            i = pid[1:]
            prov.append(f"{i}\t{'t' if pr['active'] else 'f'}\t{pr['rating']}\t"
                        f"{pg_array(pr['specialisms'])}\t{pg_array(pr['client_groups'])}\t"
                        f"{pg_array(pr['service_types'])}")
            for c in pr["coverage"]:
                if c.kind == "districts":
                    dist += [f"{i}\t{d}" for d in c.codes]
                elif c.kind == "radius":
                    rad.append(f"{i}\t{ewkb(shapely.Point(*c.centre))}\t{c.km * 1000.0!r}\t\\N")
                else:
                    poly.append(f"{i}\t{ewkb(c.geometry)}")
        pkgs = [f"{j}\t{k['place'].district}\t"
                f"{ewkb(shapely.Point(k['place'].easting, k['place'].northing))}\t"
                f"{pg_array(k['specialisms'])}\t{k['client_group']}\t{k['service_type']}"
                for j, k in enumerate(packages)]
        for table, rows in (("providers", prov), ("cov_district", dist), ("cov_radius", rad),
                            ("cov_polygon", poly), ("packages", pkgs)):
            pg.sql(f"COPY {table} FROM STDIN;", "\n".join(rows) + "\n\\.\n")
        pg.sql(INDEXES)
        pg.sql(TIMING)
        out = pg.sql("SELECT id, coalesce(array_to_string(ids, ','), ''), ns FROM results")
        found, times = {}, []
        for line in out.splitlines():
            j, ids, ns = line.split("|")
            found[int(j)] = {f"p{x}" for x in ids.split(",") if x}
            times.append(float(ns))
        try:
            print(f"postgis with client round trip (pgbench, prepared, unix socket): mean "
                  f"{round_trip_ms(pg, len(packages)):.3f} ms per query")
        except (subprocess.CalledProcessError, RuntimeError, OSError) as exc:
            print(f"postgis round trip not measured ({exc})")
        return statistics.median(times) / 1e6, found
    finally:
        pg.stop()


# ---------------------------------------------------------------- main

def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--providers", type=int, default=12_000)
    ap.add_argument("--packages", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=20261123)
    ap.add_argument("--measure-load", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure_load:
        print(json.dumps(measure_load(args.packages, args.seed)))
        return

    cold = not any(CACHE.glob("codepoint-v*/manifest.json"))
    t = time.perf_counter()
    index = geo.PostcodeIndex.load(CACHE)
    first = time.perf_counter() - t
    print(f"index: {len(index)} postcodes, {len(index.districts())} districts; "
          f"first load {first:.2f}s ({'cold build' if cold else 'warm'}) from {CACHE}")
    child = subprocess.run([sys.executable, __file__, "--measure-load", "--packages",
                            str(args.packages), "--seed", str(args.seed)],
                           check=True, capture_output=True, text=True)
    m = json.loads(child.stdout.strip().splitlines()[-1])
    print(f"warm load {m['load_s'] * 1000:.1f} ms; RSS +{m['rss_load_mb']:.1f} MB after load, "
          f"+{m['rss_used_mb']:.1f} MB after {2 * args.packages} random lookups "
          f"(anon +{m['rss_anon_mb']:.1f} MB, file-backed/shared +{m['rss_file_mb']:.1f} MB)")
    print(f"lookup median: {m['lookup_cold_us']:.2f} us over the first {args.packages} "
          f"(pages faulting in), {m['lookup_us']:.2f} us over the next {args.packages}")

    rng = np.random.default_rng(args.seed)
    t = time.perf_counter()
    providers = make_providers(index, rng, args.providers)
    packages = make_packages(index, rng, args.packages)
    kinds = {k: sum(c.kind == k for p in providers.values() for c in p["coverage"])
             for k in ("districts", "radius", "polygon")}
    print(f"world: {len(providers)} providers ({kinds}), {len(packages)} packages, "
          f"built in {time.perf_counter() - t:.1f}s")

    cov = geo.CoverageIndex(index)
    t = time.perf_counter()
    for pid, pr in providers.items():
        cov.set(pid, pr["coverage"])
    cov.covering(packages[0]["place"])  # the lazy tree build happens here
    print(f"coverage index: set x{len(providers)} + tree build {time.perf_counter() - t:.3f}s")

    times, ours, covered = [], {}, []
    for j, pkg in enumerate(packages):
        t0 = time.perf_counter_ns()
        hits = cov.covering(pkg["place"])
        ours[j] = {pid for pid in hits if eligible(providers[pid], pkg)}
        times.append(time.perf_counter_ns() - t0)
        covered.append(len(hits))
    match_ms = statistics.median(times) / 1e6
    print(f"match: median {match_ms:.3f} ms, p95 {np.percentile(times, 95) / 1e6:.3f} ms; "
          f"providers covering a package: median {statistics.median(covered):.0f}, "
          f"max {max(covered)}; eligible median {statistics.median(len(v) for v in ours.values()):.0f}")

    # Exactness check against the plain definition (Coverage.contains) on a sample.
    sample = range(0, len(packages), max(1, len(packages) // 200))
    wrong = sum(cov.covering(packages[j]["place"]) != {
        pid for pid, pr in providers.items()
        if any(c.contains(packages[j]["place"]) for c in pr["coverage"])} for j in sample)
    print(f"brute-force check: {len(sample) - wrong}/{len(sample)} packages agree")

    try:
        t = time.perf_counter()
        pg_ms, pg_found = postgis_bench(providers, packages)
        agree = sum(pg_found.get(j, set()) == ours[j] for j in range(len(packages)))
        print(f"postgis: median {pg_ms:.3f} ms per query (in-server, plpgsql loop, no client "
              f"round trip); same providers for {agree}/{len(packages)} packages; "
              f"whole PostGIS run {time.perf_counter() - t:.1f}s")
        pg_ratio = f"{pg_ms / match_ms:.1f}"
        pg_txt = f"{pg_ms:.3f}"
    except Exception as exc:  # noqa: BLE001 - the figure is optional, the reason is not
        print(f"postgis: could not run ({type(exc).__name__}: {exc})")
        pg_txt = pg_ratio = "nan"

    print(f"postcodes={m['postcodes']} load_s={m['load_s']:.3f} rss_mb={m['rss_used_mb']:.1f} "
          f"lookup_us={m['lookup_us']:.2f} match_ms={match_ms:.3f} postgis_match_ms={pg_txt} "
          f"postgis_ratio={pg_ratio}")


if __name__ == "__main__":
    main()
