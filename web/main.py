"""Entry point for `web` in the Procfile: settings from the environment, then uvicorn."""

from __future__ import annotations

import asyncio
import logging
import sys

import uvicorn

from config import ConfigError, RedisUnreachable, Settings, logs, preflight, redis_target
from web.app import create_app
from web.header_timeout import HeaderTimeoutProtocol
from web.pages import assets


def main() -> None:
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        sys.exit(f"configuration error: {exc}")
    logs.configure(settings.log_format)
    absent = assets.missing()
    if absent:
        sys.exit("cannot serve the pages: missing " + ", ".join(str(p) for p in absent)
                 + " (reinstall the package, or run python -m scripts.vendor_assets in a checkout)")
    try:
        # Start the embedded Redis now, and find the one the settings name, so a failure stops
        # us here with one line naming the variable, not a traceback from the app's startup.
        asyncio.run(preflight(redis_target(settings)))
    except RedisUnreachable as exc:
        sys.exit(f"cannot reach Redis: {exc}")
    except ConfigError as exc:
        sys.exit(f"configuration error: {exc}")
    host = "0.0.0.0" if "--public" in sys.argv else "127.0.0.1"
    # The port and which addresses, in words: the log redacts anything shaped like an address.
    logging.getLogger("web").info("web starting on port %d, %s", settings.port,
                                  "every address (--public)" if "--public" in sys.argv else "loopback only")
    # log_config=None: uvicorn keeps the redacting root handler instead of installing its own.
    # http: a deadline on each request's head, so slow clients cannot hold connections (web/header_timeout.py).
    uvicorn.run(create_app(settings), host=host, port=settings.port, log_config=None, access_log=False, proxy_headers=True,
                http=HeaderTimeoutProtocol)


if __name__ == "__main__":
    main()
