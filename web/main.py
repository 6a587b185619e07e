"""Entry point for `web` in the Procfile: settings from the environment, then uvicorn."""

from __future__ import annotations

import logging
import sys

import uvicorn

from config import ConfigError, Settings, redis_target
from web.app import create_app


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env()
        redis_target(settings)  # start the embedded Redis now, so a failure stops us here
    except ConfigError as exc:
        sys.exit(f"configuration error: {exc}")
    host = "0.0.0.0" if "--public" in sys.argv else "127.0.0.1"
    uvicorn.run(create_app(settings), host=host, port=settings.port, log_level="info", access_log=False, proxy_headers=True)


if __name__ == "__main__":
    main()
