"""GET /api/reports/summary: every figure checked against a scripted audit trail with known
times, then end to end through the API; CSV; roles; bad ranges."""

from __future__ import annotations

import csv
import io
import time
from typing import Any

import httpx
import redis

from config import keys
from core import iso, parse_iso
from core.events import Event
from tests.conftest import World
from tests.test_deadlines import wait_status

T = parse_iso("2025-03-10T09:00:00Z")
WINDOW = {"red": 3600, "amber": 86400, "green": 172800}
A, B, C = "prv_a", "prv_b", "prv_c"


class Script:
    """Writes one package's audit trail the way the service does (history stream + the
    posted-time index), with chosen times."""

    def __init__(self, r: redis.Redis) -> None:
        self.r = r

    def package(self, pid: str, posted: float, urgency: str, district: str, hours: float, matched: list[str]) -> None:
        summary = {"id": pid, "urgency": urgency, "district": district, "hours_per_week": hours,
                   "posted_at": iso(posted), "deadline": iso(posted + WINDOW[urgency])}
        self.r.zadd(keys.PACKAGES, {pid: posted})
        self.add(pid, posted, "package.posted", {"package": summary, "matched": len(matched), "provider_ids": matched})
        for provider_id in matched:
            self.add(pid, posted, "package.matched", {"provider_id": provider_id, "package": summary}, [provider_id])

    def add(self, pid: str, at: float, kind: str, data: dict[str, Any], audience: list[str] | None = None) -> None:
        event = Event(type=kind, data=data, package_id=pid, audience=audience or [], at=iso(at))
        self.r.xadd(keys.package_history(pid), event.fields())

    def offer(self, pid: str, at: float, provider_id: str) -> None:
        self.add(pid, at, "offer.submitted", {"package_id": pid, "offer": {"id": f"off_{pid}_{provider_id}", "provider_id": provider_id}})

    def award(self, pid: str, at: float, provider_id: str) -> None:
        self.add(pid, at, "package.awarded", {"package_id": pid, "offer_id": f"off_{pid}_{provider_id}", "provider_id": provider_id})


def script_history(url: str) -> None:
    with redis.Redis.from_url(url, decode_responses=True) as r:
        s = Script(r)
        # P1 red SG1 10 h: A offers, B declines, awarded to A after 30 min (within the hour).
        s.package("pkg_1", T, "red", "SG1", 10, [A, B, C])
        s.add("pkg_1", T + 60, "package.matched", {"provider_id": A, "package": {"id": "pkg_1"}}, [A])  # re-told: counts once
        s.offer("pkg_1", T + 600, A)
        s.add("pkg_1", T + 700, "package.declined", {"package_id": "pkg_1", "provider_id": B, "reason": "no carers free"})
        s.award("pkg_1", T + 1800, A)
        # P2 red SG2 7 h: three offers, awarded to B after 90 min (past its deadline).
        p2 = T + 3600
        s.package("pkg_2", p2, "red", "SG2", 7, [A, B, C])
        for n, provider_id in enumerate((B, A, C)):
            s.offer("pkg_2", p2 + 100 + n, provider_id)
        s.add("pkg_2", p2 + 3600, "package.awaiting_award", {"package_id": "pkg_2", "offers": 3})
        s.award("pkg_2", p2 + 5400, B)
        # P3 amber SG1 14 h and P4 amber SG6 21 h: nobody answers; unplaced (P4 after a second wave).
        s.package("pkg_3", T + 7200, "amber", "SG1", 14, [A, C])
        s.add("pkg_3", T + 7200 + 86400, "package.unplaced", {"package_id": "pkg_3", "district": "SG1"})
        s.package("pkg_4", T + 7300, "amber", "SG6", 21, [C])
        s.add("pkg_4", T + 7300 + 86400, "package.wave_released", {"package_id": "pkg_4", "wave": 2, "tier": "reserve", "provider_ids": []})
        s.add("pkg_4", T + 7300 + 2 * 86400, "package.unplaced", {"package_id": "pkg_4", "district": "SG6"})
        # P5 green SG1 3.5 h: A offers then withdraws (still a response), B offers and wins after 10 h.
        p5 = T + 10800
        s.package("pkg_5", p5, "green", "SG1", 3.5, [A, B])
        s.offer("pkg_5", p5 + 50, A)
        s.add("pkg_5", p5 + 80, "offer.withdrawn", {"package_id": "pkg_5", "offer_id": "off_pkg_5_prv_a", "provider_id": A})
        s.offer("pkg_5", p5 + 90, B)
        s.award("pkg_5", p5 + 36000, B)
        # P6 posted before the range: must not count anywhere.
        s.package("pkg_6", T - 86400 * 20, "red", "SG1", 40, [A, C])
        s.offer("pkg_6", T - 86400 * 20 + 10, A)
        s.award("pkg_6", T - 86400 * 20 + 20, A)


EXPECTED = {
    "posted": 5, "awarded": 3, "unplaced": 2,
    "awarded_within_deadline_pct": 66.7,  # P1 and P5 of P1, P2, P5
    "median_seconds_to_award": {"red": 3600.0, "amber": None, "green": 36000.0},  # red: median(1800, 5400)
    "offers_per_package": 1.2,  # 1 + 3 + 0 + 0 + 2 offers over 5 packages
    "unplaced_by_district": {"SG1": 1, "SG6": 1},
    "provider_response_rate": {A: 75.0, B: 100.0, C: 25.0},  # A 3 of 4, B 3 of 3, C 1 of 4
    "awarded_hours_by_provider": {A: 10.0, B: 10.5},
}


async def test_summary_matches_a_scripted_history(world: World) -> None:
    script_history(world.service.redis_url)
    report = await world.broker("GET", "/api/reports/summary?from=2025-03-01&to=2025-03-31", expect=200)
    assert {k: report[k] for k in EXPECTED} == EXPECTED
    assert report["from"] == "2025-03-01T00:00:00Z" and report["to"] == "2025-03-31T23:59:59Z"
    # a datetime range that holds only P1 and P2
    narrow = await world.broker("GET", "/api/reports/summary", params={"from": "2025-03-10T09:00:00Z", "to": "2025-03-10T10:00:00Z"}, expect=200)
    assert (narrow["posted"], narrow["awarded"], narrow["median_seconds_to_award"]["red"]) == (2, 2, 3600.0)
    assert narrow["awarded_within_deadline_pct"] == 50.0 and narrow["unplaced_by_district"] == {}
    # the default range (last 30 days) holds none of it
    recent = await world.broker("GET", "/api/reports/summary", expect=200)
    assert recent["posted"] == 0 and recent["awarded_within_deadline_pct"] is None and recent["offers_per_package"] is None

    response = await world.broker.raw("GET", "/api/reports/summary?from=2025-03-01&to=2025-03-31&format=csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["metric", "key", "value"]
    table = {(metric, key): value for metric, key, value in rows[1:]}
    assert table[("posted", "")] == "5" and table[("awarded", "")] == "3" and table[("unplaced", "")] == "2"
    assert table[("awarded_within_deadline_pct", "")] == "66.7" and table[("offers_per_package", "")] == "1.2"
    assert table[("median_seconds_to_award", "red")] == "3600.0" and table[("median_seconds_to_award", "amber")] == ""
    assert table[("median_seconds_to_award", "green")] == "36000.0"
    assert table[("unplaced_by_district", "SG1")] == "1" and table[("unplaced_by_district", "SG6")] == "1"
    assert [table[("provider_response_rate", p)] for p in (A, B, C)] == ["75.0", "100.0", "25.0"]
    assert table[("awarded_hours_by_provider", A)] == "10.0" and table[("awarded_hours_by_provider", B)] == "10.5"
    assert table[("from", "")] == "2025-03-01T00:00:00Z"
    assert len(rows) == 1 + 2 + 3 + 1 + 3 + 1 + 2 + 3 + 2 + 4 + 1  # header, range, counts, pct, medians, offers, districts, rates, hours, variations, turnaround


async def test_summary_of_a_real_day_through_the_api(world: World) -> None:
    ids = {name: p["id"] for name, p in world.providers.items()}
    alpha, beta, gamma = world.users["Alpha Care"], world.users["Beta Homecare"], world.users["Gamma Support"]
    won = await world.post(hours_per_week=12)  # amber: awarded within its day-long window
    offer = await alpha("POST", f"/api/packages/{won['id']}/offers", {"hourly_rate": 24, "start_date": won["start_date"], "can_meet_needs": True}, expect=201)
    await beta("POST", f"/api/packages/{won['id']}/offers", {"hourly_rate": 22, "start_date": won["start_date"], "can_meet_needs": True}, expect=201)
    await gamma("POST", f"/api/packages/{won['id']}/decline", {"reason": "no dementia-trained staff free"}, expect=200)
    await world.broker("POST", f"/api/packages/{won['id']}/award", {"offer_id": offer["id"]}, expect=200)
    lost = await world.post(urgency="red", postcode="SG2 7AA")  # red window is 3 s here: unplaced
    await wait_status(world, lost["id"], "unplaced", timeout=40)
    report = await world.broker("GET", "/api/reports/summary", expect=200)
    assert (report["posted"], report["awarded"], report["unplaced"]) == (2, 1, 1)
    assert report["awarded_within_deadline_pct"] == 100.0 and report["offers_per_package"] == 1.0
    assert report["median_seconds_to_award"]["red"] is None and report["median_seconds_to_award"]["amber"] is not None
    assert report["unplaced_by_district"] == {"SG2": 1}
    # Beta covers only SG1; Alpha and Gamma were matched to both packages.
    assert report["provider_response_rate"] == {ids["Alpha Care"]: 50.0, ids["Beta Homecare"]: 100.0, ids["Gamma Support"]: 50.0}
    assert report["awarded_hours_by_provider"] == {ids["Alpha Care"]: 12.0}


async def test_roles_and_bad_ranges(world: World) -> None:
    assert (await world.users["Alpha Care"].raw("GET", "/api/reports/summary")).status_code == 403
    async with httpx.AsyncClient(base_url=world.service.url()) as anonymous:
        assert (await anonymous.get("/api/reports/summary")).status_code == 401
    await world.admin("GET", "/api/reports/summary", expect=200)
    assert (await world.admin.raw("GET", "/api/reports/summary?format=csv")).status_code == 200
    bad = {
        "from=yesterday": "from", "to=2026-13-01": "to", "from=2026-02-30": "from",
        "from=2026-03-02&to=2026-03-01": "from", "from=2026-03-01T10:00:00Z&to=2026-03-01T09:00:00Z": "from",
        "format=xml": "format",
    }
    for query, field in bad.items():
        response = await world.broker.raw("GET", f"/api/reports/summary?{query}")
        assert response.status_code == 422, (query, response.text)
        assert field in response.json()["error"]["fields"], (query, response.text)
    # one day, given as a date for both ends, is a valid range
    same_day = time.strftime("%Y-%m-%d", time.gmtime())
    await world.broker("GET", f"/api/reports/summary?from={same_day}&to={same_day}", expect=200)


def _trail(pid: str, posted: float, deadline: float, steps: list[tuple[float, str, dict[str, Any]]]) -> list[Event]:
    summary = {"id": pid, "urgency": "amber", "district": "SG1", "hours_per_week": 5, "posted_at": iso(posted), "deadline": iso(deadline)}
    events = [Event(type="package.posted", data={"package": summary}, package_id=pid, at=iso(posted))]
    return events + [Event(type=kind, data=data, package_id=pid, at=iso(at)) for at, kind, data in steps]


def test_response_rate_tells_open_unanswered_packages_apart() -> None:
    """The contract's rate counts a package not yet answered as not answered; the provider's
    figures also count those still open to it as `waiting` (the pages say they may yet be
    answered) until the window of the wave that matched it closes (deadline passed, however
    late the deadline job runs, or the package left live)."""
    from matcher.reports import Range, _Tally

    now = time.time()
    hour = 3600.0
    matched = lambda p: (now - 60, "package.matched", {"provider_id": p})  # noqa: E731
    histories = [
        # Open for another hour: B declined, A, C and D have not answered yet (waiting).
        _trail("p1", now - 60, now + hour, [matched(A), matched(B), matched(C), matched("prv_d"),
                                            (now - 30, "package.declined", {"provider_id": B})]),
        # Its deadline passed a minute ago, the deadline job not run yet: A's silence counts.
        _trail("p2", now - 2 * hour, now - 60, [matched(A)]),
        # Tiered: A's first wave ended unanswered; C's second wave is open and C offered.
        _trail("p3", now - 2 * hour, now - hour, [matched(A), (now - hour, "package.wave_released", {"deadline": iso(now + hour)}),
                                                  (now - hour, "package.matched", {"provider_id": C}),
                                                  (now - 10, "offer.submitted", {"offer": {"provider_id": C}})]),
        # Extended, then withdrawn: closed, C's silence counts.
        _trail("p4", now - 60, now + hour, [matched(C), (now - 50, "deadline.extended", {"deadline": iso(now + 2 * hour)}),
                                            (now - 40, "package.withdrawn", {"package_id": "p4"})]),
        # The next tier released early: A's own window has not ended (waiting), nor B's.
        _trail("p5", now - 60, now + hour, [matched(A), (now - 50, "package.wave_released", {"deadline": iso(now + 2 * hour)}),
                                            (now - 50, "package.matched", {"provider_id": B})]),
    ]
    tally = _Tally(now=now)
    for history in histories:
        tally.add(history)
    span = Range(now - 86400, now)
    rates = {A: 0.0, B: 50.0, C: 33.3, "prv_d": 0.0}
    assert tally.summary(span)["provider_response_rate"] == rates
    waiting = {p: tally.figures_of(p, span)["waiting"] for p in rates}
    assert waiting == {A: 2, B: 1, C: 1, "prv_d": 1}
    a = tally.figures_of(A, span)
    assert (a["matched"], a["counted"], a["responded"], a["waiting"]) == (4, 4, 0, 2)
    # The same packages an hour and a minute later, nobody having answered: every window has closed.
    later = _Tally(now=now + 2 * hour + 60)
    for history in histories:
        later.add(history)
    assert later.summary(span)["provider_response_rate"] == rates
    assert {p: later.figures_of(p, span)["waiting"] for p in rates} == {A: 0, B: 0, C: 0, "prv_d": 0}
