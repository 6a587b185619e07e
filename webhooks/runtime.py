"""The webhooks wired together for one worker process, with the tasks it owns: the consumer
that plans deliveries from the event stream and the sweeper that restarts stalled lanes.
Both are cancelled and awaited on close."""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import time
from dataclasses import dataclass, field

from arq.connections import ArqRedis
from redis.asyncio import Redis

from config import Settings, keys
from core import EventLog, GroupConsumer, sweep_forever
from webhooks.deliveries import DeliveryLog
from webhooks.endpoints import Endpoints
from webhooks.lanes import LaneRunner
from webhooks.planner import Planner
from webhooks.sender import Sender

LANE_JOB = "deliver_webhooks"
SWEEP_EVERY_S = 5.0


async def kick_lane(arq: ArqRedis, endpoint_id: str, lane: str) -> None:
    """Make sure the lane has a job (one per lane: a second kick while it runs is a no-op)."""
    await arq.enqueue_job(LANE_JOB, endpoint_id, lane, _job_id=keys.webhook_lane_job_id(endpoint_id, lane))


# arq keeps a killed worker's job locked for the longest job timeout + 10 s: this must not
# exceed the notifier's (60 s), or every recovery after a SIGKILL waits longer.
JOB_TIMEOUT_S = 60


def job_budget_s(settings: Settings) -> float:
    """How long one run of a lane may go on sending before handing over: what is left of the
    job timeout once the last request may take its whole timeout, with a margin."""
    return max(0.0, JOB_TIMEOUT_S - 2 * settings.webhooks.timeout_s - 5)


@dataclass
class WebhookWorker:
    arq: ArqRedis
    log: DeliveryLog
    runner: LaneRunner
    consumer: GroupConsumer
    sender: Sender
    budget_s: float
    lanes_running: int = 0
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @classmethod
    def open(cls, settings: Settings, *, redis: Redis, arq: ArqRedis, events: EventLog) -> WebhookWorker:
        endpoints = Endpoints(redis, events)
        deliveries = DeliveryLog(redis)
        sender = Sender(settings.webhooks.timeout_s)

        async def kick(endpoint_id: str, lane: str) -> None:
            await kick_lane(arq, endpoint_id, lane)

        planner = Planner(endpoints, deliveries, kick)
        name = f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"
        return cls(arq=arq, log=deliveries, runner=LaneRunner(redis, endpoints, deliveries, sender, settings.webhooks),
                   consumer=GroupConsumer(redis, keys.WEBHOOK_GROUP, planner.handle, name), sender=sender,
                   budget_s=job_budget_s(settings))

    def start(self) -> None:
        self.tasks.append(asyncio.create_task(self.consumer.run(), name="webhook-consumer"))
        self.tasks.append(asyncio.create_task(sweep_forever(SWEEP_EVERY_S, self.sweep, "webhook sweeper"), name="webhook-sweeper"))

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.tasks.clear()
        await self.sender.close()

    async def sweep(self) -> int:
        """Make sure every lane with deliveries waiting has a job: a lane whose job finished
        just as a delivery joined it, or whose job died with its worker (arq would only run it
        again once its in-progress lock expires; the lease lets a second run take over)."""
        now = time.time()
        restarted = 0
        for endpoint_id, lane in await self.log.busy_lanes():
            job_id = keys.webhook_lane_job_id(endpoint_id, lane)
            if await self.arq.enqueue_job(LANE_JOB, endpoint_id, lane, _job_id=job_id) is not None:
                restarted += 1
                continue
            head = await self.log.head(endpoint_id, lane)
            delivery = await self.log.get(head) if head else None
            if delivery is not None and 0 < delivery.lease_until < now:
                await self.arq.enqueue_job(LANE_JOB, endpoint_id, lane, _job_id=f"{job_id}:{int(now)}")
                restarted += 1
        return restarted
