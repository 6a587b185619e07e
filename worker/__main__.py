"""`python -m worker`: the `worker` process of the Procfile.

Settings are read from the environment once, here; a bad value stops the process with a
message naming the variable. Redis is found (or the embedded one started) only now, never
at import."""

from __future__ import annotations

import asyncio
import logging
import sys

from arq.worker import create_worker

from config import ConfigError, RedisUnreachable, Settings, is_outage, logs, outage, preflight, redis_target
from worker.settings import SETTINGS_KEY, WorkerSettings


def main() -> None:
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        sys.exit(f"configuration error: {exc}")
    logs.configure(settings.log_format)
    try:
        asyncio.run(preflight(redis_target(settings)))
    except RedisUnreachable as exc:  # an outage, or Redis still starting: waited out below
        logging.getLogger("worker").warning("%s; waiting for it", exc)
    except ConfigError as exc:  # sentinels that know no such primary: waiting would be forever
        sys.exit(f"configuration error: {exc}")
    # arq's queue connection waits a Redis outage out (worker_arq_settings), but a connection
    # lost inside one of arq's WATCH blocks surfaces as a WatchError that ends its poll loop.
    # Rather than exit and leave deadlines to a supervisor, log the outage once and start the
    # loop again; a signal ends it as arq's CLI would.
    while True:
        worker = create_worker(WorkerSettings, redis_settings=redis_target(settings).worker_arq_settings(),  # type: ignore[arg-type]
                               ctx={SETTINGS_KEY: settings})
        try:
            worker.run()
            return
        except Exception as exc:
            if not is_outage(exc):
                raise
            outage.REDIS.failed(exc, "worker poll loop")
            asyncio.get_event_loop().run_until_complete(asyncio.sleep(1))


if __name__ == "__main__":
    main()
