"""The notifier's arq jobs and the worker start/stop hooks that own its tasks.

Only this module touches arq's ctx; worker/settings.py lists FUNCTIONS and calls start/stop.
"""

from __future__ import annotations

from typing import Any

from arq import Retry, func

from config import retry_on_outage
from notifier.runtime import DELIVER_BATCH_JOB, DELIVER_JOB, FALLBACK_JOB, Notifier

CTX_KEY = "notifier"


@retry_on_outage
async def deliver_notification(ctx: dict[str, Any], notification_id: str) -> str:
    notifier: Notifier = ctx[CTX_KEY]
    outcome = await notifier.deliverer.deliver(notification_id)
    if outcome.retry_in_s is not None:
        raise Retry(defer=outcome.retry_in_s)
    return outcome.status


@retry_on_outage
async def deliver_notifications(ctx: dict[str, Any], notification_ids: list[str]) -> str:
    """Many records of one channel (notifier/batch.py); a record that must wait is retried
    on its own job, so this job never waits for any of them."""
    notifier: Notifier = ctx[CTX_KEY]
    outcomes = await notifier.batch.deliver(notification_ids)
    return " ".join(f"{k}={v}" for k, v in sorted(outcomes.items()))


@retry_on_outage
async def sms_fallback(ctx: dict[str, Any], package_id: str, provider_id: str) -> str:
    notifier: Notifier = ctx[CTX_KEY]
    return await notifier.fallback.run(package_id, provider_id)


# Our own attempt count (in the record) bounds retries; arq's must never stop us first.
FUNCTIONS = [
    func(deliver_notification, name=DELIVER_JOB, max_tries=1000, timeout=60),
    func(deliver_notifications, name=DELIVER_BATCH_JOB, max_tries=1000, timeout=60),
    func(sms_fallback, name=FALLBACK_JOB, max_tries=20, timeout=60),
]


async def start(ctx: dict[str, Any], notifier: Notifier) -> None:
    ctx[CTX_KEY] = notifier
    notifier.start()


async def stop(ctx: dict[str, Any]) -> None:
    notifier: Notifier | None = ctx.pop(CTX_KEY, None)
    if notifier is not None:
        await notifier.close()
