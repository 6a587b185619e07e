"""Hostile clients against the running service: nothing leaks, nothing answers 500."""

from __future__ import annotations

import asyncio
import json
import logging
import stat
import tempfile
from pathlib import Path

import httpx
import pytest
import websockets

from config import ConfigError, Settings
from config.embedded import ensure_embedded
from config.logs import Json, OneLine, Redact, redact
from tests.conftest import World, login
from tests.support import ADMIN_EMAIL, PASSWORD


async def test_websocket_token_and_address_never_logged(world: World) -> None:
    service = world.service
    async with websockets.connect(f"{service.ws_url()}?token={world.broker.token}") as ws:
        await ws.send(json.dumps({"type": "ping"}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "pong"
    await world.broker("GET", "/api/packages", expect=200)
    log = (service.logs / "web0.log").read_text()
    assert "WebSocket /ws" in log  # uvicorn did log the connection ...
    assert world.broker.token not in log  # ... but not the token
    assert "127.0.0.1:" not in log and "broker@council.test" not in log


def test_redaction_and_one_line_formats() -> None:
    line = redact('127.0.0.1:5555 - "WebSocket /ws?token=abc.DEF-123&after=1-0" [accepted] a@b.test +447700900123 redis://u:pw@h:1')
    assert "abc.DEF" not in line and "127.0.0.1" not in line and "a@b.test" not in line
    assert "+447700900123" not in line and "pw@" not in line
    assert "hb_1700000000000-0" in redact("event hb_1700000000000-0")  # ids stay readable
    try:
        raise ValueError("token=secret-value\nsecond line")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed for %s", ("x@y.test",), exc_info=True)
        import sys
        record.exc_info = sys.exc_info()
    Redact().filter(record)
    text = OneLine().format(record)
    assert "\n" not in text and "secret-value" not in text and "x@y.test" not in text and "ValueError" in text
    entry = json.loads(Json().format(record))
    assert entry["level"] == "error" and "ValueError" in entry["error"] and "secret-value" not in entry["error"]


async def test_dev_outbox_needs_a_broker(world: World) -> None:
    anonymous = httpx.AsyncClient(base_url=world.service.url())
    async with anonymous:
        assert (await anonymous.get("/dev/outbox?format=json")).status_code == 401
    provider = world.users["Alpha Care"]
    assert (await provider.raw("GET", "/dev/outbox?format=json")).status_code == 403
    assert (await world.broker.raw("GET", "/dev/outbox?format=json")).status_code == 200


async def test_chunked_body_over_the_limit_is_refused_while_streaming(world: World) -> None:
    sent = 0

    async def endless():
        nonlocal sent
        chunk = b"x" * 65536
        while sent < 200_000_000:
            sent += len(chunk)
            yield chunk

    for path in ("/api/auth/login", "/login", "/hooks/twilio/status"):
        sent = 0
        csrf = "a" * 32  # a well-formed double-submit pair, so /login reaches its body
        async with httpx.AsyncClient(base_url=world.service.url(), timeout=30, cookies={"csrf": csrf}) as http:
            try:
                response = await http.post(path, content=endless(), headers={"content-type": "application/json", "x-csrf-token": csrf})
                assert response.status_code == 413, (path, response.status_code, response.text[:200])
            except (httpx.RemoteProtocolError, httpx.WriteError, httpx.ReadError):
                pass  # the server answered 413 and closed while we were still sending
        assert sent < 20_000_000, f"{path}: the server read {sent} bytes before refusing"
    # A declared length over the limit is refused before a byte of the body is sent.
    port = int(world.service.url().rsplit(":", 1)[1])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"POST /api/packages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Authorization: Bearer " + world.broker.token.encode() + b"\r\nContent-Length: 2000000\r\n\r\n")
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    writer.close()
    assert head.startswith(b"HTTP/1.1 413"), head


@pytest.mark.parametrize("after", ["99999999999999999999-0", "0-18446744073709551616", "１７００-0", "abc"])
async def test_bad_resume_ids_answer_an_error_and_keep_the_socket(world: World, after: str) -> None:
    async with websockets.connect(f"{world.service.ws_url()}?token={world.broker.token}&after={after}") as ws:
        first = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert first["type"] == "error"
        await ws.send(json.dumps({"type": "resume", "after": after}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "error"
        await ws.send(json.dumps({"type": "ping"}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "pong"
    assert "Traceback" not in (world.service.logs / "web0.log").read_text()


async def test_websocket_refuses_a_foreign_origin(world: World) -> None:
    cookie = {"Cookie": f"session={world.broker.token}"}
    with pytest.raises(websockets.InvalidStatus):
        async with websockets.connect(world.service.ws_url(), additional_headers={**cookie, "Origin": "https://evil.example"}):
            pass
    own = world.service.url()
    async with websockets.connect(world.service.ws_url(), additional_headers={**cookie, "Origin": own}) as ws:
        await ws.send(json.dumps({"type": "ping"}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "pong"


async def test_csrf_exempt_only_when_the_bearer_token_authenticates(world: World) -> None:
    base = world.service.url()
    body = {"phone": "+447700900123"}
    async with httpx.AsyncClient(base_url=base, cookies={"session": world.broker.token}) as http:
        for header in ("", "Basic abc", "Bearer", "Token x"):
            response = await http.put("/api/me/preferences", json=body, headers={"Authorization": header})
            assert response.status_code == 403 and response.json()["error"]["code"] == "csrf_failed", header
    await world.broker("PUT", "/api/me/preferences", body, expect=200)  # a real bearer token is exempt
    from web.csrf import bearer

    assert bearer("Bearer ") is None and bearer("Bearer    ") is None and bearer("bearer t") == "t"


async def test_input_edges(world: World) -> None:
    response = await world.broker.raw("PUT", "/api/me/preferences", json={"phone": "+447700900123\n"})
    assert response.status_code == 422 and "phone" in response.json()["error"]["fields"]
    response = await world.broker.raw("PUT", "/api/me/preferences", json={"phone": "+４４7700900123"})
    assert response.status_code == 422
    # A key under the provider prefix that is not a provider record.
    alpha = world.providers["Alpha Care"]["id"]
    response = await world.admin.raw("POST", "/api/users", json={"email": "x@p.test", "password": PASSWORD, "role": "provider",
                                                                "provider_id": f"{alpha}:users"})
    assert response.status_code == 422 and "provider_id" in response.json()["error"]["fields"]
    # Password bounds: what creation accepts, sign-in accepts (spaces kept), and no more.
    long = " " + "p" * 1022 + " "
    await world.admin("POST", "/api/users", {"email": "long@council.test", "password": long, "role": "broker"}, expect=201)
    await login(world.service.url(), "long@council.test", long)
    response = await world.admin.raw("POST", "/api/users", json={"email": "l2@council.test", "password": "p" * 1025, "role": "broker"})
    assert response.status_code == 422
    with pytest.raises(ConfigError):
        Settings.from_env({"ADMIN_EMAIL": ADMIN_EMAIL, "ADMIN_PASSWORD": "p" * 1025})


async def test_hsts_only_for_an_https_public_url() -> None:
    from starlette.responses import PlainTextResponse

    from web.middleware import SecurityHeaders

    async def app(scope, receive, send):
        await PlainTextResponse("ok")(scope, receive, send)

    for hsts in (True, False):
        transport = httpx.ASGITransport(app=SecurityHeaders(app, hsts=hsts))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            response = await http.get("/")
        assert ("max-age=" in response.headers.get("strict-transport-security", "")) is hsts


# The embedded server is started detached on purpose; its Popen handle is dropped.
@pytest.mark.filterwarnings("ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning")
def test_embedded_store_files_are_private() -> None:
    import redis

    data = Path(tempfile.mkdtemp(prefix="hbp-", dir="/tmp"))  # short: a unix socket path
    (data / "appendonly.aof").write_text("")  # left readable by an older version
    (data / "appendonly.aof").chmod(0o644)
    url = ensure_embedded(data)
    try:
        with redis.Redis.from_url(url) as r:
            r.set("k", "v")
            r.save()
        files = [p for p in data.iterdir() if p.is_file() and not p.is_socket()]
        assert any(p.name == "appendonly.aof" for p in files)
        for path in files:
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        assert stat.S_IMODE(data.stat().st_mode) == 0o700
    finally:
        with redis.Redis.from_url(url) as r:
            try:
                r.shutdown(nosave=True)
            except redis.exceptions.ConnectionError:
                pass
