"""Sending one lane: the head delivery first, the next only once the head is delivered (or
given up on), so a receiver sees a package's events in order.

The head is sent only once every earlier event on the stream has been planned (none is still
pending in the webhooks consumer group): two workers plan different events at once, and a
later event of a package must not overtake an earlier one still being planned elsewhere.
A failed attempt waits with exponential backoff; the lane waits with it."""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass

from redis.asyncio import Redis

from config import Webhooks as WebhookSettings
from config import keys
from core import settled_before
from webhooks.deliveries import DeliveryLog
from webhooks.endpoints import Endpoints
from webhooks.model import PENDING
from webhooks.sender import Sender

log = logging.getLogger("webhooks.lanes")
NOT_SETTLED_WAIT_S = 0.2


@dataclass(frozen=True)
class LaneOutcome:
    sent: int
    retry_in_s: float | None  # None: nothing left for this run to wait for


class LaneRunner:
    def __init__(self, redis: Redis, endpoints: Endpoints, log_: DeliveryLog, sender: Sender, settings: WebhookSettings) -> None:
        self.redis = redis
        self.endpoints = endpoints
        self.log = log_
        self.sender = sender
        self.settings = settings

    @property
    def lease_s(self) -> float:
        return self.settings.timeout_s + 5.0

    def backoff_s(self, attempts: int) -> float:
        return min(self.settings.retry_base_s * 2 ** max(0, attempts - 1), self.settings.retry_max_s)

    async def run(self, endpoint_id: str, lane: str, budget_s: float) -> LaneOutcome:
        """Send what the lane holds, in order, for at most about `budget_s`."""
        started, sent, tried = time.monotonic(), 0, False
        token = secrets.token_hex(8)
        while True:
            # Looked up before every send, not once per run: an admin who deletes the
            # endpoint mid-lane must not see the rest of the lane still posted to it.
            endpoint = await self.endpoints.find(endpoint_id)
            if endpoint is None:
                await self.log.drop_lane(endpoint_id, lane)
                return LaneOutcome(sent, None)
            if tried and time.monotonic() - started + self.settings.timeout_s > budget_s:
                return LaneOutcome(sent, 0.0)  # more to do: the job is run again at once
            head = await self.log.head(endpoint_id, lane)
            if head is None:
                await self.log.forget_lane_if_empty(endpoint_id, lane)
                return LaneOutcome(sent, None)
            delivery = await self.log.get(head)
            if delivery is None or delivery.status != PENDING:
                await self.log.leave_lane(endpoint_id, lane, head)
                continue
            if not await settled_before(self.redis, keys.WEBHOOK_GROUP, delivery.event_id):
                return LaneOutcome(sent, NOT_SETTLED_WAIT_S)
            wait = delivery.next_attempt_at - time.time()
            if wait > 0:
                return LaneOutcome(sent, wait)
            claim = await self.log.claim(head, self.lease_s, token)
            if claim.outcome == "busy":
                return LaneOutcome(sent, None)  # another run holds the head; it carries on
            if claim.outcome in ("done", "missing"):
                continue
            tried = True
            answer = await self.sender.send(endpoint, delivery)
            if answer.ok:
                await self.log.delivered(delivery, token, answer.status_code or 200)
                sent += 1
                continue
            give_up = time.time() - delivery.created_at > self.settings.give_up_s
            retry_in = self.backoff_s(claim.attempts)
            await self.log.attempt_failed(delivery, token, answer.status_code, answer.error, time.time() + retry_in, give_up)
            log.info("webhook %s to endpoint %s: attempt %d %s%s", delivery.id, endpoint_id, claim.attempts,
                     answer.error, "; given up" if give_up else f"; again in {retry_in:g} s")
            if not give_up:
                return LaneOutcome(sent, retry_in)
