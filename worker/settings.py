"""The arq worker (`worker` in the Procfile): response deadlines, reminders and notifications.

`python -m worker` reads the settings, finds Redis (starting the embedded one if REDIS_URL is
unset) and runs these functions; importing this module starts nothing. The settings reach
the start hook through arq's ctx, as arq builds the worker from this class's attributes.
"""

from __future__ import annotations

import logging
from typing import Any

from arq import Retry, cron

from config import Settings, is_outage, logs, outage, retry_on_outage
from matcher import Reminders, TooEarly
from notifier import Notifier
from notifier import jobs as notify_jobs
from webhooks import WebhookWorker
from webhooks import jobs as webhook_jobs
from service import Brokerage

log = logging.getLogger("worker")
SETTINGS_KEY = "settings"


async def startup(ctx: dict[str, Any]) -> None:
    settings: Settings = ctx.get(SETTINGS_KEY) or Settings.from_env()
    # arq's CLI (when used instead of python -m worker) installs its own handlers.
    logs.configure(settings.log_format)
    service = await Brokerage.open(settings)
    ctx["brokerage"] = service
    ctx["reminders"] = Reminders(service.redis, service.events)
    await notify_jobs.start(ctx, Notifier.open(
        settings, redis=service.redis, arq=service.arq, events=service.events, accounts=service.accounts,
        packages=service.packages,
    ))
    await webhook_jobs.start(ctx, WebhookWorker.open(settings, redis=service.redis, arq=service.arq, events=service.events))
    open_windows = await service.deadlines.reconcile()
    closed = await service.deadlines.sweep()
    log.info("worker ready: %d open windows reconciled, %d overdue closed", open_windows, closed)


async def shutdown(ctx: dict[str, Any]) -> None:
    await notify_jobs.stop(ctx)
    await webhook_jobs.stop(ctx)
    service: Brokerage | None = ctx.get("brokerage")
    if service is not None:
        await service.close()


@retry_on_outage
async def package_deadline(ctx: dict[str, Any], package_id: str, wave: int, extension: int = 0) -> str | None:
    service: Brokerage = ctx["brokerage"]
    try:
        return await service.deadlines.expire(package_id, wave, extension)
    except TooEarly as early:
        raise Retry(defer=early.remaining_s + 0.01) from early


@retry_on_outage
async def deadline_reminder(ctx: dict[str, Any], package_id: str, wave: int, extension: int = 0) -> int:
    return len(await ctx["reminders"].remind(package_id, wave, extension))


async def sweep_deadlines(ctx: dict[str, Any]) -> None:
    service: Brokerage = ctx["brokerage"]
    try:
        await service.deadlines.reconcile()
        await service.deadlines.sweep()
    except Exception as exc:  # the next minute's sweep tries again
        if not is_outage(exc):
            raise
        outage.REDIS.failed(exc, "deadline sweep")


async def resume_imports(ctx: dict[str, Any]) -> None:
    """Carry on bulk imports whose web process died mid-way (rows already posted are skipped)."""
    service: Brokerage = ctx["brokerage"]
    try:
        await service.imports.sweep()
    except Exception as exc:  # the next minute's sweep tries again
        if not is_outage(exc):
            raise
        outage.REDIS.failed(exc, "import sweep")


class WorkerSettings:
    # Names match matcher.deadlines.JOB_NAME and matcher.reminders.JOB_NAME, which enqueue them.
    functions = [package_deadline, deadline_reminder, *notify_jobs.FUNCTIONS, *webhook_jobs.FUNCTIONS]
    cron_jobs = [cron(sweep_deadlines, second=30, unique=True, run_at_startup=False),
                 # arq locks a killed worker's jobs for the longest timeout + 10 s: none may pass 60 s.
                 # An import not finished within it carries on at the next minute's sweep.
                 cron(resume_imports, second=45, unique=True, run_at_startup=False, timeout=55)]
    on_startup = startup
    on_shutdown = shutdown
    job_timeout = 60
    # Jobs wait on SMTP and Twilio round trips, not on the CPU: run many at once.
    max_jobs = 50
    max_tries = 20  # with retry_on_outage's backoff a job outlives a ~5 minute Redis outage
    keep_result = 3600
    poll_delay = 0.25
    handle_signals = True


__all__ = ["SETTINGS_KEY", "WorkerSettings"]
