"""`python -m realtime`: the `realtime` process of the Procfile, serving `/ws` alone.

A proxy routes `/ws` here and everything else to `web` (README: Production). Without this
process `web` serves `/ws` itself, so the demo stays one command."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from http import HTTPStatus
from urllib.parse import urlsplit

from websockets.asyncio.server import serve
from websockets.http11 import Request, Response

from accounts import AccountStore
from config import ConfigError, RedisUnreachable, Settings, logs, preflight, redis_target
from core import EventLog
from matcher import Sightings
from realtime.keepalive import HeardConnection, Keepalive
from realtime.server import Broadcaster, RealtimeServer
from realtime.socket import origin_allowed

log = logging.getLogger("realtime")
# Clients send only small control messages (seen, resume, ping).
MAX_CLIENT_MESSAGE = 64 * 1024
# A socket cut off for being too slow still reads what was sent before its close frame.
CLOSE_TIMEOUT_S = 60


def checks(public_url: str):  # type: ignore[no-untyped-def]
    """Before the handshake: a health answer for the process manager, and a browser's
    Origin must be this site's own (as web's /ws checks it)."""

    def process_request(connection: object, request: Request) -> Response | None:
        if urlsplit(request.path).path == "/healthz":
            return connection.respond(HTTPStatus.OK, "ok\n")  # type: ignore[attr-defined]
        if not origin_allowed(request.headers.get("Origin"), request.headers.get("Host"), public_url):
            return connection.respond(HTTPStatus.FORBIDDEN, "foreign origin\n")  # type: ignore[attr-defined]
        return None

    return process_request


async def run(settings: Settings, host: str) -> None:
    redis = redis_target(settings).connect()
    broadcaster = Broadcaster(redis, max_buffer_bytes=settings.ws_buffer_bytes, backlog_limit=settings.ws_send_queue,
                              max_per_user=settings.ws_max_per_user)
    accounts = AccountStore(redis, settings)
    server = RealtimeServer(accounts, EventLog(redis, settings.event_retention_s), Sightings(redis), broadcaster)
    await broadcaster.start_position()
    tasks = [asyncio.create_task(broadcaster.run(), name="event-reader"),
             asyncio.create_task(broadcaster.watch_revocations(), name="revocation-listener"),
             asyncio.create_task(broadcaster.check_sessions_forever(accounts), name="session-check"),
             asyncio.create_task(broadcaster.beat_forever(), name="heartbeats"),
             asyncio.create_task(Keepalive(broadcaster.connections).run_forever(), name="keepalive")]
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    try:
        async with serve(server.handle, host, settings.realtime_port, process_request=checks(settings.public_url),
                         compression=None, max_size=MAX_CLIENT_MESSAGE, close_timeout=CLOSE_TIMEOUT_S,
                         # realtime/keepalive.py pings, one sweep for all sockets
                         ping_interval=None, create_connection=HeardConnection):
            # The port and which addresses, in words: the log redacts anything shaped like an address.
            log.info("realtime ready on port %d, %s", settings.realtime_port,
                     "every address (--public)" if host != "127.0.0.1" else "loopback only")
            await stop
    finally:
        for task in tasks:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*tasks, return_exceptions=True)
        await redis.aclose()


def main() -> None:
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        sys.exit(f"configuration error: {exc}")
    logs.configure(settings.log_format)
    try:
        asyncio.run(preflight(redis_target(settings)))  # one line naming the variable, not a traceback
    except RedisUnreachable as exc:
        # An outage, or Redis still starting: the event reader waits it out, as in any outage.
        logging.getLogger("realtime").warning("%s; waiting for it", exc)
    except ConfigError as exc:
        sys.exit(f"configuration error: {exc}")
    host = "0.0.0.0" if "--public" in sys.argv else "127.0.0.1"
    try:
        import uvloop
    except ImportError:  # uvloop comes with uvicorn[standard]; the server runs without it too
        asyncio.run(run(settings, host))
    else:
        uvloop.run(run(settings, host))


if __name__ == "__main__":
    main()
