"""The other servers the fan-out bench compares ours with, each run as its own process:
the floor (a plain `websockets` server that only calls `broadcast()`), python-socketio with
its Redis manager, and a bare uvicorn + Starlette socket for the memory breakdown.

    python bench/servers.py floor|sio|bare --port N [--redis URL]
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
import urllib.parse
from typing import Any

from procs import ROOT, wait_port


def floor_server_main(port: int) -> None:
    from websockets.asyncio.server import broadcast, serve

    clients: set[Any] = set()

    async def handler(ws: Any) -> None:
        if ws.request.path.startswith("/control"):
            payload = "{}"
            async for msg in ws:
                if msg.startswith("payload "):
                    payload = msg[len("payload "):]
                elif msg == "count":
                    await ws.send(str(len(clients)))
                elif msg.startswith("go "):
                    stamp = time.time()
                    broadcast(clients, '{"stamp":%r,"round":%s,"event":%s}' % (stamp, msg[3:], payload))
            return
        clients.add(ws)
        try:
            await ws.wait_closed()
        finally:
            clients.discard(ws)

    async def main() -> None:
        async with serve(handler, "127.0.0.1", port, compression=None, max_size=None, backlog=4096):
            await asyncio.Future()

    # The same event loop as uvicorn's loop="auto" picks for the other servers.
    try:
        import uvloop
    except ImportError:
        asyncio.run(main())
    else:
        uvloop.run(main())


def sio_server_main(port: int, redis_url: str) -> None:
    import socketio
    import uvicorn

    sio = socketio.AsyncServer(async_mode="asgi", client_manager=socketio.AsyncRedisManager(redis_url),
                               logger=False, engineio_logger=False)

    @sio.event
    async def connect(sid: str, environ: dict, auth: Any = None) -> None:
        query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
        room = query.get("provider", [""])[0]
        if room:
            await sio.enter_room(sid, room)

    uvicorn.run(socketio.ASGIApp(sio), host="127.0.0.1", port=port, log_level="warning", access_log=False)


def bare_server_main(port: int) -> None:
    import uvicorn
    from starlette.applications import Starlette
    from starlette.routing import WebSocketRoute

    async def endpoint(websocket: Any) -> None:
        await websocket.accept()
        try:
            while True:
                await websocket.receive_text()
        except Exception:
            pass

    app = Starlette(routes=[WebSocketRoute("/ws", endpoint)])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def spawn(role: str, port: int, procs: list[subprocess.Popen], *extra: str) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, __file__, role, "--port", str(port), *extra], cwd=ROOT)
    procs.append(proc)
    wait_port(port, proc)
    return proc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("role", choices=["floor", "sio", "bare"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--redis")
    args = parser.parse_args()
    if args.role == "floor":
        floor_server_main(args.port)
    elif args.role == "sio":
        sio_server_main(args.port, args.redis)
    else:
        bare_server_main(args.port)


if __name__ == "__main__":
    main()
