"""The /ws feed: authentication, scope, redaction, ordering and resume."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from tests.conftest import World
from tests.support import Service
from tests.waits import WaitTimeout


@pytest.fixture(autouse=True, params=["web", "realtime"])
def ws_route(request, service: Service):
    """Every test here runs against both servers of /ws: the web process's own, and the
    realtime process (websockets' server) that production runs for many sockets."""
    service.ws_route = request.param
    yield request.param
    service.ws_route = "web"


async def collect(ws, until: str | None = None, timeout: float = 5.0, count: int | None = None) -> list[dict]:
    """Read messages until one of type `until` arrives, or `count` of them; raise if that
    does not happen within `timeout`. (To show a message is NOT sent, wait for one that must
    come after it: see `read_replay` and the marker packages below.)"""
    if until is None and count is None:
        raise ValueError("collect needs `until` or `count`: listening for a while proves nothing")
    got: list[dict] = []
    try:
        async with asyncio.timeout(timeout):
            while True:
                got.append(json.loads(await ws.recv()))
                if until and got[-1].get("type") == until:
                    return got
                if count and len(got) >= count:
                    return got
    except TimeoutError:
        want = f"a {until!r} message" if until else f"{count} messages"
        raise WaitTimeout(f"socket: {want} not received within {timeout:g}s; got {[m.get('type') for m in got]}") from None


async def read_replay(ws, timeout: float = 10.0) -> list[dict]:
    """Everything the server replays on connect (`after=`) or after a `resume`: it reads the
    socket's next message only once the replay is sent, so the answer to a ping ends it."""
    await ws.send(json.dumps({"type": "ping"}))
    return (await collect(ws, until="pong", timeout=timeout))[:-1]


def stream_key(event_id: str) -> tuple[int, int]:
    ms, seq = event_id.split("-")
    return int(ms), int(seq)


async def test_without_token_closes_4401(clean: Service) -> None:
    async with websockets.connect(clean.ws_url()) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd.code == 4401
    async with websockets.connect(clean.ws_url() + "?token=forged") as ws:
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd.code == 4401


async def test_provider_socket_carries_only_its_own_redacted_events(world: World) -> None:
    await world.add_provider("Hereford Care", coverage=[{"kind": "districts", "codes": ["HR1"]}], tiers={})
    alpha, hereford = world.users["Alpha Care"], world.users["Hereford Care"]
    async with websockets.connect(f"{world.service.ws_url()}?token={alpha.token}") as alpha_ws, \
            websockets.connect(f"{world.service.ws_url()}?token={hereford.token}") as hereford_ws, \
            websockets.connect(f"{world.service.ws_url()}?token={world.broker.token}") as broker_ws:
        package = await world.post()
        made = await world.users["Beta Homecare"]("POST", f"/api/packages/{package['id']}/offers", {"hourly_rate": 23, "start_date": package["start_date"], "can_meet_needs": True}, expect=201)
        await world.broker("POST", f"/api/packages/{package['id']}/award", {"offer_id": made["id"]}, expect=200)
        alpha_events = await collect(alpha_ws, until="package.closed")
        broker_events = await collect(broker_ws, until="package.closed")
        # Hereford hears of a later package in its own district: every event before that one
        # in the log would have reached its socket first.
        marker = await world.post(postcode="HR1 2AA")
        hereford_events = await collect(hereford_ws, until="package.matched")
    assert [e["type"] for e in alpha_events] == ["package.matched", "package.closed"]
    matched = alpha_events[0]["data"]
    assert matched["provider_id"] == world.providers["Alpha Care"]["id"]
    assert matched["package"]["district"] == "SG1" and "postcode" not in matched["package"]
    text = json.dumps(alpha_events)
    assert "SG1 1AA" not in text and "Testcase" not in text and "HCC-0001" not in text and "hourly_rate" not in text
    assert alpha_events[1]["data"] == {"package_id": package["id"], "reason": "awarded_elsewhere"}
    assert [(e["type"], e["data"]["package"]["id"]) for e in hereford_events] == [("package.matched", marker["id"])]
    types = [e["type"] for e in broker_events]
    assert types[0] == "package.posted" and types.count("package.matched") == 3
    assert {"offer.submitted", "package.awarded", "offer.accepted"} <= set(types)
    ids = [stream_key(e["id"]) for e in broker_events]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert all({"id", "type", "at", "data"} <= set(e) for e in broker_events)


async def test_package_matched_data_is_the_redacted_package(world: World) -> None:
    """The contract: "package.matched (redacted package)", like "package.closed ({package_id,
    reason})": the event's data is the package as the provider may see it (with round_fit),
    plus package_id and provider_id; also under `package`, as the pages read it."""
    alpha = world.users["Alpha Care"]
    async with websockets.connect(f"{world.service.ws_url()}?token={alpha.token}") as ws:
        package = await world.post()
        [matched] = [e for e in await collect(ws, until="package.matched") if e["type"] == "package.matched"]
    data = matched["data"]
    assert (data["id"], data["package_id"], data["provider_id"]) == (package["id"], package["id"], world.providers["Alpha Care"]["id"])
    assert (data["status"], data["district"], data["sector"], data["urgency"]) == ("live", "SG1", "SG1 1", "amber")
    assert {"distance_km", "matched_availability", "round_fit", "deadline", "visits", "hours_per_week"} <= set(data)
    for private in ("postcode", "summary", "reference", "excluded_providers"):
        assert private not in data and private not in data["package"]
    view = await alpha("GET", f"/api/packages/{package['id']}", expect=200)
    assert {k: data[k] for k in view} == view
    assert data["package"] == {k: v for k, v in data.items() if k not in ("package", "package_id", "provider_id")}


async def test_cookie_authenticates_the_socket(world: World) -> None:
    headers = {"Cookie": f"session={world.users['Alpha Care'].token}"}
    async with websockets.connect(world.service.ws_url(), additional_headers=headers) as ws:
        package = await world.post()
        events = await collect(ws, until="package.matched")
    assert events[-1]["data"]["package"]["id"] == package["id"]


async def test_resume_by_query_and_by_message_replays_missed_events_in_order(world: World) -> None:
    token = world.users["Alpha Care"].token
    url = f"{world.service.ws_url()}?token={token}"
    async with websockets.connect(url) as ws:
        first = await world.post()
        seen = await collect(ws, until="package.matched")
    last_id = seen[-1]["id"]
    missed = [await world.post() for _ in range(3)]
    async with websockets.connect(f"{url}&after={last_id}") as ws:
        replayed = await collect(ws, count=3)
        live_package = await world.post()
        live = await collect(ws, count=1)
    assert [e["data"]["package"]["id"] for e in replayed] == [p["id"] for p in missed]
    assert live[0]["data"]["package"]["id"] == live_package["id"]
    async with websockets.connect(url) as ws:
        await ws.send(json.dumps({"type": "resume", "after": last_id}))
        by_message = await collect(ws, count=4)
    assert [e["data"]["package"]["id"] for e in by_message] == [p["id"] for p in [*missed, live_package]]
    assert first["id"] not in {e["data"]["package"]["id"] for e in by_message}


async def test_seen_message_is_recorded(world: World) -> None:
    import redis.asyncio as aioredis

    from config import keys

    package = await world.post()
    alpha_id = world.providers["Alpha Care"]["id"]
    async with websockets.connect(f"{world.service.ws_url()}?token={world.users['Alpha Care'].token}") as ws:
        await ws.send(json.dumps({"type": "seen", "package_id": package["id"]}))
        await ws.send(json.dumps({"type": "ping"}))
        assert json.loads(await ws.recv())["type"] == "pong"
    r = aioredis.from_url(world.service.redis_url, decode_responses=True)
    try:
        seen = await r.hgetall(keys.package_seen(package["id"]))
    finally:
        await r.aclose()
    assert list(seen) == [alpha_id]


async def test_event_made_on_one_process_reaches_a_socket_on_another(world: World, two_webs: Service) -> None:
    token = world.users["Alpha Care"].token
    async with websockets.connect(f"{two_webs.ws_url(1)}?token={token}") as on_second, \
            websockets.connect(f"{two_webs.ws_url(0)}?token={token}") as on_first:
        package = await world.post()  # posted through web process 0
        got_second = await collect(on_second, until="package.matched")
        got_first = await collect(on_first, until="package.matched")
    assert got_second[-1]["data"]["package"]["id"] == package["id"]
    assert got_first[-1]["id"] == got_second[-1]["id"]


async def test_worker_events_reach_sockets(world: World) -> None:
    async with websockets.connect(f"{world.service.ws_url()}?token={world.users['Alpha Care'].token}") as ws:
        package = await world.post(urgency="red")  # DEADLINE_RED_S=3: the worker closes it
        events = await collect(ws, until="package.closed", timeout=20)
    assert events[-1]["data"] == {"package_id": package["id"], "reason": "deadline"}


@pytest.mark.timeout(180)  # starts and kills processes of its own
async def test_resume_across_a_killed_web_process(own_world: World, ws_route: str) -> None:
    import signal

    world, service = own_world, own_world.service
    service.ws_route = ws_route
    service.start_web()
    token = world.users["Alpha Care"].token
    async with websockets.connect(f"{service.ws_url(1)}?token={token}") as ws:
        await world.post()
        last = (await collect(ws, until="package.matched"))[-1]["id"]
        service.kill_ws_process(1, signal.SIGKILL)
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 10)
    missed = [await world.post() for _ in range(2)]
    service.restart_ws_process(1)
    async with websockets.connect(f"{service.ws_url(1)}?token={token}&after={last}") as ws:
        replayed = await collect(ws, count=2)
    assert [e["data"]["package"]["id"] for e in replayed] == [p["id"] for p in missed]


async def test_after_older_than_kept_gets_an_explicit_resync(world: World) -> None:
    await world.post()
    async with websockets.connect(f"{world.service.ws_url()}?token={world.broker.token}&after=1-0") as ws:
        first = json.loads(await ws.recv())
        rest = await read_replay(ws)
    assert first["type"] == "resync" and first["data"]["recovered"] is False
    assert rest and rest[0]["type"] == "package.posted"  # what is still kept follows


async def test_signing_out_closes_that_tokens_sockets(world: World) -> None:
    from tests.conftest import login
    from tests.support import PASSWORD

    second = await login(world.service.url(), "broker@council.test", PASSWORD)
    async with websockets.connect(f"{world.service.ws_url()}?token={second.token}") as doomed, \
            websockets.connect(f"{world.service.ws_url()}?token={world.broker.token}") as kept:
        await second("POST", "/api/auth/logout", expect=204)
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(doomed.recv(), 10)
        assert closed.value.rcvd.code == 4401
        await world.post()
        assert (await collect(kept, until="package.posted"))[-1]["type"] == "package.posted"
    await second.aclose()


async def test_a_stalled_consumer_is_cut_off_and_can_resume(redis_server, ws_route: str) -> None:
    import socket as sockets

    import redis.asyncio as aioredis

    from core.events import Event, EventLog
    from tests.conftest import login
    from tests.support import ADMIN_EMAIL, ADMIN_PASSWORD, Service

    store = aioredis.from_url(redis_server.url(7), decode_responses=True)
    await store.flushdb()
    svc = Service(redis_server.url(7), env={"WS_SEND_QUEUE": "20", "WS_BUFFER_BYTES": "65536"}, ws_route=ws_route).start()
    try:
        admin = await login(svc.url(), ADMIN_EMAIL, ADMIN_PASSWORD)
        raw = sockets.create_connection(("127.0.0.1", int(svc.ws_url().split(":")[2].split("/")[0])))
        raw.setsockopt(sockets.SOL_SOCKET, sockets.SO_RCVBUF, 4096)
        # max_queue=1: the client stops reading from the socket, as a phone in a tunnel would.
        slow = await websockets.connect(f"{svc.ws_url()}?token={admin.token}", sock=raw, max_queue=1)
        log = EventLog(store, 86400)
        # Enough bytes to fill every kernel buffer between the two ends, so the server's
        # send blocks and its bounded queue overflows.
        for batch in range(8):
            await log.append(*[Event(type="test.noise", data={"n": batch * 500 + i, "pad": "x" * 4000}) for i in range(500)])
        seen: list[dict] = []
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                seen.append(json.loads(await asyncio.wait_for(slow.recv(), 15)))
        assert closed.value.rcvd is not None, f"closed without a close frame after {len(seen)} events: {closed.value!r}"
        assert closed.value.rcvd.code == 4408
        assert len(seen) < 4000  # it was cut off before the end
        async with websockets.connect(f"{svc.ws_url()}?token={admin.token}&after={seen[-1]['id']}") as ws:
            rest = await collect(ws, count=4000 - len(seen), timeout=20)
        numbers = [e["data"]["n"] for e in seen + rest]
        assert numbers == list(range(4000))  # nothing lost, nothing repeated, in order
        await admin.aclose()
    finally:
        await store.aclose()
        svc.stop()


async def test_pages_that_ask_get_caught_up_then_heartbeats_while_quiet(world: World) -> None:
    """`?heartbeat=1` (what the pages ask): after the replay a `caught_up` message with the
    stream's position, then a heartbeat every few seconds of silence, on either server."""
    package = await world.post()
    url = f"{world.service.ws_url()}?token={world.broker.token}&heartbeat=1"
    async with websockets.connect(url) as ws:
        first = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert first["type"] == "caught_up" and first["data"]["after"] is None
        assert stream_key(first["data"]["last_id"]) >= (0, 0)
        beats: list[dict] = []
        async with asyncio.timeout(12):  # the package's own events may come first
            while len(beats) < 2:
                msg = json.loads(await ws.recv())
                if msg["type"] == "heartbeat":
                    beats.append(msg)
        assert all(set(m) == {"type", "at"} for m in beats)
    # A socket that did not ask sees only events: a resume replays the package and nothing else.
    async with websockets.connect(f"{world.service.ws_url()}?token={world.broker.token}&after=0-0") as ws:
        replayed = await read_replay(ws)
        assert replayed and all(m.get("id") for m in replayed)
        assert any(m["data"].get("package", {}).get("id") == package["id"] for m in replayed if m["type"] == "package.posted")
