"""Benchmark of the back office: the whole Hertfordshire demo framework set up by hand.

Run from the repository root:  .venv/bin/python bench/backoffice.py [--headed] [--slow-mo MS]

Issue 12 is done when an admin can set up, from an empty service, everything that
scripts/demo_data.py seeds (areas = the county's districts, about 60 providers with their
ratings, specialisms, client groups, services, coverage, tiers and status, one team login per
provider, the broker) without one API call. This script:

1. starts a Redis server, one web and one worker process as production does (bench/procs.py),
   with only the bootstrap admin;
2. seeds scripts/demo_data.py into another database of the same Redis through the domain
   (in process): that is the reference, "what demo_data.py would have created", and the data
   the person types (nothing is copied from demo_data.py);
3. drives Debian's Chromium through Playwright over the back-office pages only (/login,
   /admin/areas, /admin/providers, /admin/users): every click and every character a person
   would make is counted;
4. checks through the API, signed in as the broker the pages made, that areas and providers
   equal the reference, that every team login signs in to its provider, and that a package
   posted at a Stevenage postcode reaches the same providers as it does in the reference.

The person's time is estimated with the keystroke-level model (Card, Moran and Newell, 1980):
K = 0.28 s per character (an average typist, about 40 words a minute), P + BB = 1.1 + 0.2 s
per click on a target with the mouse, H = 0.4 s for each move of the hand between mouse and
keyboard, M = 1.35 s of mental preparation before each field, choice or button, and R the
system's own response time, taken as the machine time measured here. The last line printed
is the machine-readable summary.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from procs import ADMIN_EMAIL, ADMIN_PASSWORD, ROOT, RedisProc, Service, login  # noqa: E402

sys.path.insert(0, str(ROOT))

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
# Keystroke-level model operators, in seconds (Card, Moran and Newell 1980).
KLM = {"K": 0.28, "click": 1.1 + 0.2, "H": 0.4, "M": 1.35}
STATUS_LABELS = {"active": "Active", "suspended": "Suspended", "pending_visit": "Pending"}
COMPARED = ("cqc_rating", "specialisms", "client_groups", "service_types", "coverage", "tiers", "email", "phone", "status")


# -- the reference: what demo_data.py creates ---------------------------------------------------

@dataclass
class Reference:
    areas: list[dict[str, Any]]
    providers: list[dict[str, Any]]
    broker_email: str
    password: str
    team: dict[str, str]  # provider name -> the team login's email
    probe: dict[str, Any]  # the Stevenage package's body
    reached: set[str]  # provider names it reaches


def probe_body(postcode: str) -> dict[str, Any]:
    import datetime as dt

    return {"postcode": postcode, "urgency": "amber", "service_type": "homecare", "client_group": "older_people",
            "hours_per_week": 10.5, "start_date": (dt.date.today() + dt.timedelta(days=2)).isoformat(),
            "visits": [{"days": ["mon", "wed", "fri"], "band": "morning", "minutes": 45, "carers": 1, "time_critical": False}],
            "specialisms": [], "summary": "Bench: back office check", "reference": "BENCH-HERTS"}


async def reference(env: dict[str, str]) -> Reference:
    """Seed demo_data into its own Redis database and read back what it made."""
    from config import Settings
    from matcher import PackageInput
    from scripts import demo_data
    from service import Brokerage

    service = await Brokerage.open(Settings.from_env(env))
    try:
        await demo_data.seed(service, None, None)
        areas = [{"name": a.name, "districts": list(a.districts)} for a in await service.areas.list()]
        providers = [p.to_dict() for p in await service.providers.list()]
        providers.sort(key=lambda p: p["created_at"])
        names = {p["id"]: p["name"] for p in providers}
        broker = next(u for u in await service.accounts.list() if u.role == "broker")
        # demo_data gives the first provider a login at its alert address; one per provider here.
        team = {p["name"]: p["email"] for p in providers}
        stevenage = service.postcodes.place_at(service.postcodes.district_rows("SG1")[0]).postcode
        body = probe_body(stevenage)
        package = await service.packages.post(PackageInput.model_validate(body), broker.id)
        reached = {names[pid] for pid in await service.packages.matches(package.id)}
        return Reference(areas, providers, broker.email, demo_data.PASSWORD, team, body, reached)
    finally:
        await service.close()


# -- a person at the browser ------------------------------------------------------------------------

@dataclass
class Person:
    """Drives the page as a person would, counting what they do."""

    page: Any
    clicks: int = 0
    keys: int = 0
    homes: int = 0
    mentals: int = 0
    hand: str = "mouse"
    waits: float = 0.0
    findings: list[str] = field(default_factory=list)

    def _use(self, device: str) -> None:
        if self.hand != device:
            self.homes += 1
            self.hand = device

    async def click(self, locator: Any, think: bool = True) -> None:
        self._use("mouse")
        self.clicks += 1
        self.mentals += think
        await locator.click()

    async def follow(self, locator: Any, url_part: str) -> None:
        """Click a link or a submit button and wait for the next page."""
        started = time.perf_counter()
        async with self.page.expect_navigation(url=lambda u: url_part in u, wait_until="domcontentloaded"):
            await self.click(locator)
        self.waits += time.perf_counter() - started

    async def type(self, locator: Any, text: str) -> None:
        """Click into a field and type; an empty value costs nothing (the field is left alone)."""
        if not text:
            return
        await self.click(locator)
        self._use("keyboard")
        self.keys += len(text)
        await locator.fill(text)

    async def choose(self, select: Any, value: str) -> None:
        """A select: a click to open it, a click on the option."""
        await self.click(select)
        self.clicks += 1
        await select.select_option(value)

    async def errors(self) -> list[str]:
        summary = self.page.locator(".govuk-error-summary__list li")
        return [t.strip() for t in await summary.all_inner_texts()]


async def sign_in(person: Person, base: str, email: str, password: str) -> None:
    page = person.page
    url = f"{base}/login"
    person._use("keyboard")
    person.keys += len(url) + 1  # typed into the address bar, then Enter
    await page.goto(url, wait_until="domcontentloaded")
    await person.type(page.locator("#email"), email)
    await person.type(page.locator("#password"), password)
    await person.follow(page.get_by_role("button", name="Sign in"), "/")


async def add_area(person: Person, area: dict[str, Any]) -> None:
    page = person.page
    if "/admin/areas" not in page.url:
        await person.follow(page.locator("#navigation").get_by_role("link", name="Areas"), "/admin/areas")
    await person.follow(page.get_by_role("link", name="Add an area"), "/admin/areas/new")
    await person.type(page.locator("#name"), area["name"])
    await person.type(page.locator("#districts"), " ".join(area["districts"]))
    await person.follow(page.get_by_role("button", name="Save area"), "/admin/areas")
    if "done=saved" not in page.url:
        raise RuntimeError(f"area {area['name']}: {await person.errors()}")


async def add_provider(person: Person, p: dict[str, Any]) -> None:
    page = person.page
    if not page.url.endswith("/admin/providers"):
        await person.follow(page.locator("#navigation").get_by_role("link", name="Providers"), "/admin/providers")
    await person.follow(page.get_by_role("link", name="Add a provider"), "/admin/providers/new")
    await person.type(page.locator("#name"), p["name"])
    await person.type(page.locator("#email"), p["email"])
    await person.type(page.locator("#phone"), p.get("phone") or "")
    await person.click(page.locator(f"input[name=cqc_rating][value={p['cqc_rating']}]"))
    for group in ("service_types", "client_groups", "specialisms"):
        for n, value in enumerate(p[group]):
            # One decision per group; each box is a click.
            await person.click(page.locator(f"input[name={group}][value={value}]"), think=n == 0)
    for entry in p["coverage"]:
        if entry["kind"] == "districts":
            await person.type(page.locator("#districts"), " ".join(entry["codes"]))
        elif entry["kind"] == "radius":
            await person.type(page.locator("#radius_postcode"), entry["postcode"])
            km = entry["km"]
            await person.type(page.locator("#radius_km"), str(int(km)) if float(km).is_integer() else str(km))
        else:
            person.findings.append(f"{p['name']}: coverage of kind {entry['kind']} not entered by this bench")
    tiers = page.locator("#tiers")
    for area, tier in p["tiers"].items():
        await person.choose(tiers.get_by_label(area, exact=True), tier)
    await person.click(page.locator(f"input[name=status][value={p['status']}]"))
    await person.follow(page.get_by_role("button", name="Save provider"), "/admin/providers")
    if "saved=1" not in page.url:
        raise RuntimeError(f"provider {p['name']}: {await person.errors()}")


async def add_login(person: Person, email: str, password: str, role: str, provider_name: str | None) -> None:
    page = person.page
    if provider_name:
        # From the provider's own page, where the save has just landed.
        await person.follow(page.get_by_role("link", name=f"Add a team login for {provider_name}"), "/admin/users/new")
        chosen = await page.locator("#provider_id option:checked").inner_text()
        if chosen.strip() != provider_name:
            raise RuntimeError(f"team login form chose {chosen!r}, not {provider_name!r}")
    else:
        await person.follow(page.locator("#navigation").get_by_role("link", name="Users"), "/admin/users")
        await person.follow(page.get_by_role("link", name="Add a user"), "/admin/users/new")
    await person.type(page.locator("#email"), email)
    await person.click(page.locator(f"input[name=role][value={role}]"))
    await person.type(page.locator("#password"), password)
    await person.follow(page.get_by_role("button", name="Add user"), "/admin/users")
    if "done=created" not in page.url:
        raise RuntimeError(f"login {email}: {await person.errors()}")


# -- the check, through the API as the broker ---------------------------------------------------

def normal(p: dict[str, Any]) -> dict[str, Any]:
    out = {k: p.get(k) for k in COMPARED}
    out["coverage"] = [{**c, "km": float(c["km"])} if c.get("kind") == "radius" else c for c in p.get("coverage") or []]
    for k in ("specialisms", "client_groups", "service_types"):
        out[k] = sorted(out[k] or [])
    return out


async def check(base: str, ref: Reference) -> list[str]:
    problems: list[str] = []
    broker = await login(base, ref.broker_email, ref.password)
    try:
        areas = {a["name"]: sorted(a["districts"]) for a in await broker("GET", "/api/areas", expect=200)}
        want = {a["name"]: sorted(a["districts"]) for a in ref.areas}
        if areas != want:
            problems.append(f"areas differ: made {areas}, demo_data {want}")
        listed = await broker("GET", "/api/providers", expect=200)
        listed = listed["providers"] if isinstance(listed, dict) else listed
        made = {p["name"]: normal(p) for p in listed}
        for p in ref.providers:
            got = made.pop(p["name"], None)
            if got is None:
                problems.append(f"provider missing: {p['name']}")
            elif got != normal(p):
                diff = {k: (got[k], normal(p)[k]) for k in COMPARED if got[k] != normal(p)[k]}
                problems.append(f"provider {p['name']} differs (made, demo_data): {diff}")
        problems += [f"provider not in demo_data: {name}" for name in made]
        ids = {p["name"]: p["id"] for p in listed}
        for name, email in ref.team.items():
            team = await login(base, email, ref.password)
            try:
                me = await team("GET", "/api/me", expect=200)
            finally:
                await team.aclose()
            if me.get("role") != "provider" or me.get("provider_id") != ids.get(name):
                problems.append(f"login {email} is {me.get('role')} of {me.get('provider_id')}, not provider of {name}")
        posted = await broker("POST", "/api/packages", ref.probe, expect=201)
        history = await broker("GET", f"/api/packages/{posted['id']}/history", expect=200)
        names = {v: k for k, v in ids.items()}
        reached = {names.get(e["data"].get("provider_id"), e["data"].get("provider_id")) for e in history if e["type"] == "package.matched"}
        if reached != ref.reached:
            problems.append(f"package at {ref.probe['postcode']} reached {sorted(reached)}, demo_data's world {sorted(ref.reached)}")
        print(f"check: package at {ref.probe['postcode']} (area {posted.get('area')}) reached {len(reached)} providers "
              f"(matched={posted.get('matched')}); demo_data's world: {len(ref.reached)}: {', '.join(sorted(ref.reached))}")
    finally:
        await broker.aclose()
    return problems


# -- the run ------------------------------------------------------------------------------------------

async def run(args: argparse.Namespace) -> int:
    from playwright.async_api import async_playwright

    redis = RedisProc()
    service = Service(redis.url(0))
    try:
        started = time.perf_counter()
        # A fresh clone has no postcode cache: build it here, untimed by the web's readiness wait.
        import geo

        geo.PostcodeIndex.load(ROOT / ".cache" / "geo")
        service.start(webs=1, workers=1)
        base = service.url()
        print(f"service: web and worker up in {time.perf_counter() - started:.1f} s at {base}")
        started = time.perf_counter()
        ref = await reference(service.environment(REDIS_URL=redis.url(1)))
        print(f"reference: demo_data seeded in its own database in {time.perf_counter() - started:.1f} s: "
              f"{len(ref.areas)} areas, {len(ref.providers)} providers")

        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=not args.headed, slow_mo=args.slow_mo)
            context = await browser.new_context(viewport={"width": 1280, "height": 900})
            outside: list[str] = []

            async def only_loopback(route: Any) -> None:
                if route.request.url.startswith(base):
                    await route.continue_()
                else:
                    outside.append(route.request.url)
                    await route.abort()

            await context.route("**/*", only_loopback)
            page = await context.new_page()
            page.set_default_timeout(60_000)
            person = Person(page)
            began = time.perf_counter()

            async def step(label: str, job: Any) -> float:
                before = (person.clicks, person.keys)
                t0 = time.perf_counter()
                await job
                took = time.perf_counter() - t0
                print(f"  {label}: {took:.2f} s, {person.clicks - before[0]} clicks, {person.keys - before[1]} keys", flush=True)
                return took

            phases: dict[str, list[float]] = {"sign-in": [], "areas": [], "providers": [], "logins": []}
            phases["sign-in"].append(await step("sign in", sign_in(person, base, ADMIN_EMAIL, ADMIN_PASSWORD)))
            for area in ref.areas:
                phases["areas"].append(await step(f"area {area['name']}", add_area(person, area)))
            logins = 0
            for p in ref.providers:
                phases["providers"].append(await step(f"provider {p['name']}", add_provider(person, p)))
                phases["logins"].append(await step(f"login {ref.team[p['name']]}",
                                                   add_login(person, ref.team[p["name"]], ref.password, "provider", p["name"])))
                logins += 1
            phases["logins"].append(await step("broker login", add_login(person, ref.broker_email, ref.password, "broker", None)))
            logins += 1
            seconds = time.perf_counter() - began
            await browser.close()

        for name, times in phases.items():
            if times:
                ordered = sorted(times)
                print(f"step {name}: {len(times)} in {sum(times):.1f} s (mean {sum(times) / len(times):.2f} s, "
                      f"median {ordered[len(ordered) // 2]:.2f} s, max {ordered[-1]:.2f} s)")
        if outside:
            person.findings.append(f"pages asked for {len(set(outside))} outside addresses, e.g. {outside[0]}")
        machine = seconds
        model = (person.clicks * KLM["click"] + person.keys * KLM["K"] + person.homes * KLM["H"] + person.mentals * KLM["M"])
        print(f"person (keystroke-level model: K={KLM['K']} s/char, click=P+BB={KLM['click']} s, H={KLM['H']} s, "
              f"M={KLM['M']} s, R=machine time): {person.clicks} clicks, {person.keys} keystrokes, {person.homes} hand moves, "
              f"{person.mentals} mental preparations = {model / 60:.0f} min of work + {machine / 60:.1f} min of waiting "
              f"= about {(model + machine) / 3600:.1f} h")
        problems = await check(base, ref)
        for finding in person.findings:
            print(f"finding: {finding}")
        for problem in problems:
            print(f"MISMATCH: {problem}")
        print(f"check: {'OK, the framework made in the pages equals demo_data' if not problems else f'{len(problems)} mismatches'}")
        print(f"areas={len(phases['areas'])} providers={len(phases['providers'])} logins={logins} seconds={seconds:.1f} "
              f"clicks={person.clicks} keystrokes={person.keys} person_seconds_klm={model + machine:.0f} ok={int(not problems)}")
        return 0 if not problems else 1
    finally:
        service.stop()
        redis.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--headed", action="store_true", help="show the browser (needs a display)")
    parser.add_argument("--slow-mo", type=float, default=0, help="milliseconds between browser actions")
    sys.exit(asyncio.run(run(parser.parse_args())))


if __name__ == "__main__":
    main()
