"""The webhooks' arq job and the worker start/stop hooks that own its tasks.

Only this module touches arq's ctx; worker/settings.py lists FUNCTIONS and calls start/stop.
One job per lane (its id names the lane), so a lane is sent by one run at a time; waiting
for a retry is arq's Retry with our backoff."""

from __future__ import annotations

import random
from typing import Any

from arq import Retry, func

from config import retry_on_outage
from webhooks.runtime import JOB_TIMEOUT_S, LANE_JOB, WebhookWorker

CTX_KEY = "webhooks"
MAX_LANES_PER_WORKER = 16  # of the worker's 50 job slots (worker/settings.py max_jobs)


@retry_on_outage
async def deliver_webhooks(ctx: dict[str, Any], endpoint_id: str, lane: str) -> int:
    worker: WebhookWorker = ctx[CTX_KEY]
    if worker.lanes_running >= MAX_LANES_PER_WORKER:
        # Slow receivers must not take the worker's job slots from deadlines and notifications:
        # past this many lanes at once, a lane gives its slot back and comes again shortly.
        raise Retry(defer=0.5 + random.random())
    worker.lanes_running += 1
    try:
        outcome = await worker.runner.run(endpoint_id, lane, worker.budget_s)
    finally:
        worker.lanes_running -= 1
    if outcome.retry_in_s is not None:
        raise Retry(defer=outcome.retry_in_s)
    return outcome.sent


# Our own give-up time (WEBHOOK_GIVE_UP_S) bounds retries; arq's count must never stop us
# first; the result is not kept, so a lane's job id is free again as soon as a run ends.
FUNCTIONS = [func(deliver_webhooks, name=LANE_JOB, max_tries=1_000_000, timeout=JOB_TIMEOUT_S, keep_result=0)]


async def start(ctx: dict[str, Any], worker: WebhookWorker) -> None:
    ctx[CTX_KEY] = worker
    worker.start()


async def stop(ctx: dict[str, Any]) -> None:
    worker: WebhookWorker | None = ctx.pop(CTX_KEY, None)
    if worker is not None:
        await worker.close()
