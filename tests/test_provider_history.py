"""Issue 14 items 5 and 6 through the API and the server-rendered pages: a provider team's
state for each package ("Priya offered £23.50 – waiting for the council", "Declined by
Priya"), the teammates' offers and declines reaching the team's own sockets and no other
provider's, and /provider/history with its outcomes and figures for a known history."""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import json
import re

import httpx
import websockets

from tests.conftest import World, login
from tests.support import PASSWORD
from tests.waits import eventually

ROW = re.compile(r'<li class="app-past__item" data-package-id="([^"]+)">.*?data-state="([^"]*)">([^<]*)</strong>', re.S)
CARD_STATE = re.compile(r'<li class="app-card[^"]*" data-package-id="([^"]+)">.*?data-state="([^"]*)">([^<]*)</strong>', re.S)


async def team_of_two(world: World) -> tuple:
    """Sam and Priya, two users of Alpha Care."""
    alpha_id = world.providers["Alpha Care"]["id"]
    users = []
    for name in ("sam", "priya"):
        await world.admin("POST", "/api/users", {"email": f"{name}@alpha-care.test", "password": PASSWORD, "role": "provider", "provider_id": alpha_id}, expect=201)
        user = await login(world.service.url(), f"{name}@alpha-care.test", PASSWORD)
        world.clients.append(user)
        users.append(user)
    return tuple(users)


def offer(package: dict, rate: float) -> dict:
    return {"hourly_rate": rate, "start_date": package["start_date"], "can_meet_needs": True}


async def page(world: World, user, path: str) -> tuple[int, str]:
    async with httpx.AsyncClient(base_url=world.service.url(), cookies={"session": user.token}, timeout=20) as http:
        response = await http.get(path)
    return response.status_code, response.text


async def known_history(world: World) -> dict[str, dict]:
    """One package for each outcome, matched to Alpha (and Beta: both cover SG1)."""
    sam, priya = await team_of_two(world)
    beta = world.users["Beta Homecare"]
    won = await world.post(hours_per_week=10.5)
    mine = await sam("POST", f"/api/packages/{won['id']}/offers", offer(won, 22.0), expect=201)
    await world.broker("POST", f"/api/packages/{won['id']}/award", {"offer_id": mine["id"]}, expect=200)
    elsewhere = await world.post(hours_per_week=8)
    await sam("POST", f"/api/packages/{elsewhere['id']}/offers", offer(elsewhere, 25.0), expect=201)
    theirs = await beta("POST", f"/api/packages/{elsewhere['id']}/offers", offer(elsewhere, 19.75), expect=201)
    await world.broker("POST", f"/api/packages/{elsewhere['id']}/award", {"offer_id": theirs["id"]}, expect=200)
    withdrawn = await world.post()
    await world.broker("POST", f"/api/packages/{withdrawn['id']}/withdraw", {"reason": "family arranged care"}, expect=200)
    expired = await world.post(urgency="red")  # DEADLINE_RED_S=3 and nobody answers: unplaced
    declined = await world.post()
    await priya("POST", f"/api/packages/{declined['id']}/decline", {"reason": "No carers free on Wednesdays"}, expect=200)
    unanswered = await world.post(urgency="green")
    offered = await world.post(urgency="green")
    await priya("POST", f"/api/packages/{offered['id']}/offers", offer(offered, 23.5), expect=201)

    async def unplaced() -> bool:
        return (await world.broker("GET", f"/api/packages/{expired['id']}", expect=200))["status"] == "unplaced"

    await eventually(unplaced, "the red package closes unplaced at its deadline")
    return {"sam": sam, "priya": priya, "won": won, "elsewhere": elsewhere, "withdrawn": withdrawn, "expired": expired,
            "declined": declined, "unanswered": unanswered, "offered": offered}


async def test_history_outcomes_and_figures_for_a_known_history(world: World) -> None:
    h = await known_history(world)
    status, text = await page(world, h["sam"], "/provider/history")
    assert status == 200
    rows = [(pid, state, html.unescape(words)) for pid, state, words in ROW.findall(text)]
    # Newest first, each package once, each with its outcome for Alpha as Sam reads it.
    assert rows == [
        (h["offered"]["id"], "offered", "Priya offered £23.50 – waiting for the council"),
        (h["unanswered"]["id"], "unanswered", "Not yet answered"),
        (h["declined"]["id"], "declined", "Declined by Priya"),
        (h["expired"]["id"], "closed", "Closed"),
        (h["withdrawn"]["id"], "withdrawn", "Withdrawn"),
        (h["elsewhere"]["id"], "awarded_elsewhere", "Awarded elsewhere"),
        (h["won"]["id"], "awarded_to_you", "Awarded to you"),
    ]
    # Its own offers only: never the winner's name or price.
    assert "Your offer: £25.00 an hour" in text and "Your offer: £22.00 an hour" in text
    assert "19.75" not in text and "Beta Homecare" not in text
    figures = {k: html.unescape(v).strip() for k, v in re.findall(r'id="figure-([a-z-]+)">([^<]*)', text)}
    # 7 matched; answered 4 (won, elsewhere, declined, offered); 3 offers; 1 award; 10.5 h.
    assert figures == {"response-rate": "57.1%", "offers": "3", "win-rate": "33.3%", "hours-won": "10.5 hours a week"}
    assert "answered 4 of 7 packages" in text and "1 awarded of 3 offers" in text
    assert "1 of them is still open, and answering it raises your rate" in text

    # The same period in the broker's report gives the same response rate and hours.
    today = dt.datetime.now(dt.UTC).date()
    start = today - dt.timedelta(days=90)
    report = await world.broker("GET", f"/api/reports/summary?from={start.isoformat()}&to={today.isoformat()}", expect=200)
    alpha = world.providers["Alpha Care"]["id"]
    assert report["provider_response_rate"][alpha] == 57.1
    assert report["awarded_hours_by_provider"][alpha] == 10.5

    # Priya sees her own decline and offer as hers.
    _, text = await page(world, h["priya"], "/provider/history")
    said = {pid: html.unescape(words) for pid, _, words in ROW.findall(text)}
    assert said[h["declined"]["id"]] == "Declined by you"
    assert said[h["offered"]["id"]] == "You offered £23.50 – waiting for the council"

    # Beta's history: the package it won, the one Alpha won as "awarded elsewhere", no Alpha price.
    _, text = await page(world, world.users["Beta Homecare"], "/provider/history")
    said = {pid: state for pid, state, _ in ROW.findall(text)}
    assert said[h["won"]["id"]] == "awarded_elsewhere" and said[h["elsewhere"]["id"]] == "awarded_to_you"
    assert "22.00" not in text and "Alpha Care" not in text and "Sam" not in text and "Priya" not in text


async def test_history_date_range_filters_pages_and_refuses_bad_dates(world: World) -> None:
    sam, _ = await team_of_two(world)
    for _ in range(23):
        await world.post(urgency="green")
    today = dt.datetime.now(dt.UTC).date()
    status, text = await page(world, sam, "/provider/history")
    # Defaults to the last 90 days, shown in the fields.
    start = today - dt.timedelta(days=90)
    assert f'name="from-day" type="text" inputmode="numeric" value="{start.day}"' in text
    assert f'name="to-year" type="text" inputmode="numeric" value="{today.year}"' in text
    assert len(ROW.findall(text)) == 20 and "Page 1 of 2" in text and "Packages (23)" in text
    query = f"from-day={start.day}&from-month={start.month}&from-year={start.year}&to-day={today.day}&to-month={today.month}&to-year={today.year}"
    _, second = await page(world, sam, f"/provider/history?{query}&page=2")
    assert len(ROW.findall(second)) == 3
    assert not {pid for pid, _, _ in ROW.findall(text)} & {pid for pid, _, _ in ROW.findall(second)}
    # A period before anything was posted: nothing listed, figures say so.
    old = today - dt.timedelta(days=200)
    _, empty = await page(world, sam, f"/provider/history?from-day=1&from-month=1&from-year={old.year - 1}&to-day={old.day}&to-month={old.month}&to-year={old.year}")
    assert ROW.findall(empty) == [] and "You were sent no packages posted in this period." in empty
    assert 'id="figure-response-rate">no data' in empty
    # Bad dates: a GOV.UK error beside the field, never a 500.
    status, bad = await page(world, sam, "/provider/history?from-day=31&from-month=2&from-year=2026")
    assert status == 422 and "The start date must be a real date" in bad and "govuk-error-summary" in bad
    status, bad = await page(world, sam, f"/provider/history?from-day=2&from-month=1&from-year={today.year + 1}&to-day=1&to-month=1&to-year={today.year}")
    assert status == 422 and "The start date must be the same as or before the end date" in bad


async def test_board_says_what_the_team_did_filters_unanswered_and_counts_them_in_the_title(world: World) -> None:
    sam, priya = await team_of_two(world)
    offered, declined, open_one = [await world.post(urgency="amber") for _ in range(3)]
    await sam("POST", f"/api/packages/{offered['id']}/offers", offer(offered, 22.0), expect=201)
    await priya("POST", f"/api/packages/{declined['id']}/decline", {"reason": "No carers free"}, expect=200)
    _, text = await page(world, sam, "/provider")
    cards = {pid: (state, html.unescape(words)) for pid, state, words in CARD_STATE.findall(text)}
    assert cards == {offered["id"]: ("offered", "You offered £22.00 – waiting for the council"),
                     declined["id"]: ("declined", "Declined by Priya"), open_one["id"]: ("unanswered", "Not yet answered")}
    assert "<title>(1) Packages for you – Home care brokerage</title>" in text
    _, text = await page(world, priya, "/provider?show=unanswered")
    assert [pid for pid, _, _ in CARD_STATE.findall(text)] == [open_one["id"]]
    assert 'id="show" name="show" type="checkbox" value="unanswered" checked' in text
    # The same words through the API, for Priya.
    states = {s["package_id"]: s["text"] for s in await priya("GET", "/api/team/responses", expect=200)}
    assert states == {offered["id"]: "Sam offered £22.00 – waiting for the council", declined["id"]: "Declined by you",
                      open_one["id"]: "Not yet answered"}
    # A package the provider was not matched to (Beta covers SG1 only) has no state for it.
    sg2 = await world.post(postcode="SG2 7AA")
    assert await world.users["Beta Homecare"]("GET", f"/api/team/responses?package_id={sg2['id']}", expect=200) == []


async def test_a_teammates_offer_and_decline_reach_the_team_socket_and_no_other_provider(world: World) -> None:
    sam, priya = await team_of_two(world)
    package = await world.post(urgency="amber")
    other = await world.post(urgency="amber")
    beta = world.users["Beta Homecare"]
    url = world.service.ws_url()
    # The board's socket (it asks for heartbeats) hears the team; a client of the contract's feed
    # alone (no heartbeat) gets only the provider events the contract lists.
    async with websockets.connect(f"{url}?token={priya.token}&heartbeat=1") as team_ws, \
            websockets.connect(f"{url}?token={priya.token}") as contract_ws, websockets.connect(f"{url}?token={beta.token}") as beta_ws:
        await sam("POST", f"/api/packages/{package['id']}/offers", offer(package, 22.0), expect=201)
        await sam("POST", f"/api/packages/{other['id']}/decline", {"reason": "No carers free"}, expect=200)
        seen: list[dict] = []
        async with asyncio.timeout(15):
            while {"offer.submitted", "package.declined"} - {e["type"] for e in seen}:
                seen.append(json.loads(await team_ws.recv()))
        submitted = next(e for e in seen if e["type"] == "offer.submitted")
        assert submitted["data"]["offer"]["hourly_rate"] == 22.0 and submitted["data"]["offer"]["submitted_by"] == sam.user["id"]
        # Beta's socket: a later event meant for Beta arrives, and nothing of Alpha's came before it.
        marker = await world.post(urgency="green")
        beta_seen: list[dict] = []
        async with asyncio.timeout(15):
            while not any(e["type"] == "package.matched" and e["data"]["package"]["id"] == marker["id"] for e in beta_seen):
                beta_seen.append(json.loads(await beta_ws.recv()))
        assert not [e for e in beta_seen if e["type"] in ("offer.submitted", "package.declined", "offer.withdrawn")], beta_seen
        contract_seen: list[dict] = []
        async with asyncio.timeout(15):
            while not any(e["type"] == "package.matched" and e["data"]["package"]["id"] == marker["id"] for e in contract_seen):
                contract_seen.append(json.loads(await contract_ws.recv()))
        assert not [e for e in contract_seen if e["type"] in ("offer.submitted", "package.declined", "offer.withdrawn")], contract_seen
