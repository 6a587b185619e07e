"""The arq worker (`worker` in the Procfile): response deadlines and their backstops.

Run with `arq matcher.worker.WorkerSettings`. Settings are read from the environment here,
once, as arq reads its class attributes at start.
"""

from __future__ import annotations

import logging
from typing import Any

from arq import Retry, cron

from config import Settings
from config.redis import arq_settings, redis_url
from matcher import deadlines, reminders
from matcher.service import Brokerage
from notifier import jobs as notify_jobs

log = logging.getLogger("matcher.worker")
SETTINGS = Settings.from_env()


def _configure_logging() -> None:
    # arq's CLI applies its own logging config, which disables loggers created before it.
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for name in ("matcher", "notifier", "realtime"):
        logger = logging.getLogger(name)
        logger.disabled = False
        logger.setLevel(logging.INFO)
        if not logger.handlers:
            logger.addHandler(handler)
            logger.propagate = False
    for name in list(logging.root.manager.loggerDict):
        if name.startswith(("matcher.", "notifier.", "realtime.")):
            logging.getLogger(name).disabled = False


async def startup(ctx: dict[str, Any]) -> None:
    _configure_logging()
    service = await Brokerage.open(SETTINGS)
    ctx["brokerage"] = service
    ctx["reminders"] = reminders.Reminders(service.redis, service.events)
    await notify_jobs.start(ctx, SETTINGS, service)
    open_windows = await service.deadlines.reconcile()
    closed = await service.deadlines.sweep()
    log.info("worker ready: %d open windows reconciled, %d overdue closed", open_windows, closed)


async def shutdown(ctx: dict[str, Any]) -> None:
    await notify_jobs.stop(ctx)
    service: Brokerage | None = ctx.get("brokerage")
    if service is not None:
        await service.close()


async def package_deadline(ctx: dict[str, Any], package_id: str, wave: int) -> str | None:
    service: Brokerage = ctx["brokerage"]
    try:
        return await service.deadlines.expire(package_id, wave)
    except deadlines.TooEarly as early:
        raise Retry(defer=early.remaining_s + 0.01) from early


async def deadline_reminder(ctx: dict[str, Any], package_id: str, wave: int) -> int:
    return len(await ctx["reminders"].remind(package_id, wave))


async def sweep_deadlines(ctx: dict[str, Any]) -> None:
    service: Brokerage = ctx["brokerage"]
    await service.deadlines.reconcile()
    await service.deadlines.sweep()


class WorkerSettings:
    functions = [package_deadline, deadline_reminder, *notify_jobs.FUNCTIONS]
    cron_jobs = [cron(sweep_deadlines, second=30, unique=True, run_at_startup=False)]
    on_startup = startup
    on_shutdown = shutdown
    redis_settings = arq_settings(redis_url(SETTINGS))
    job_timeout = 60
    # Jobs wait on SMTP and Twilio round trips, not on the CPU: run many at once.
    max_jobs = 50
    max_tries = 20
    keep_result = 3600
    poll_delay = 0.25
    handle_signals = True


__all__ = ["WorkerSettings", "deadlines"]
