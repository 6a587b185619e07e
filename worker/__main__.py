"""`python -m worker`: the `worker` process of the Procfile.

Settings are read from the environment once, here; a bad value stops the process with a
message naming the variable. Redis is found (or the embedded one started) only now, never
at import."""

from __future__ import annotations

import logging
import sys

from arq.worker import run_worker

from config import ConfigError, Settings, redis_target
from worker.settings import SETTINGS_KEY, WorkerSettings


def main() -> None:
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        sys.exit(f"configuration error: {exc}")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    run_worker(WorkerSettings, redis_settings=redis_target(settings).arq_settings(), ctx={SETTINGS_KEY: settings})  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
