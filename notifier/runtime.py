"""The notifier wired together for one worker process, and its background tasks.

Transports are chosen from the settings: SMTP when SMTP_HOST is set, Twilio when
TWILIO_ACCOUNT_SID is set, otherwise the dev outbox. The event consumer and the recovery
sweeper run as tasks owned here, cancelled and awaited on close.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

from arq.connections import ArqRedis
from redis.asyncio import Redis

from accounts import AccountStore, PushSubscriptions
from config import Settings, keys
from core import EventLog, GroupConsumer, sweep_forever
from matcher import PackageStore
from notifier.batch import BatchDeliverer
from notifier.delivery import Deliverer, EmailSender, RetryPolicy, SmsSender
from notifier.devbox import DevEmailSender, DevOutbox, DevSmsSender
from notifier.fallback import FallbackCheck
from notifier.mail import SmtpSender
from notifier.model import TERMINAL
from notifier.outbox import Outbox
from notifier.planner import Planner
from notifier.push import PushSender
from notifier.render import Renderer
from notifier.replies import ReplyCodes
from notifier.sms import TwilioSender
from notifier.vapid import vapid_key

log = logging.getLogger("notifier.runtime")
DELIVER_JOB = "deliver_notification"
DELIVER_BATCH_JOB = "deliver_notifications"
FALLBACK_JOB = "sms_fallback"
SWEEP_EVERY_S = 5.0
STATUS_PATH = "/hooks/twilio/status"
INBOUND_PATH = "/hooks/twilio/inbound"


def email_sender(settings: Settings, outbox: DevOutbox) -> EmailSender:
    return SmtpSender(settings.smtp) if settings.smtp.host else DevEmailSender(outbox)


def sms_sender(settings: Settings, outbox: DevOutbox) -> SmsSender:
    return TwilioSender(settings.twilio) if settings.twilio.account_sid else DevSmsSender(outbox)


@dataclass
class Notifier:
    settings: Settings
    arq: ArqRedis
    outbox: Outbox
    deliverer: Deliverer
    batch: BatchDeliverer
    planner: Planner
    fallback: FallbackCheck
    consumer: GroupConsumer
    policy: RetryPolicy
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @classmethod
    def open(cls, settings: Settings, *, redis: Redis, arq: ArqRedis, events: EventLog, accounts: AccountStore,
             packages: PackageStore, policy: RetryPolicy | None = None) -> Notifier:
        policy = policy or RetryPolicy()
        outbox = Outbox(redis, events)
        dev = DevOutbox(redis)
        renderer = Renderer(settings.public_url, settings.deadline_s)
        callback = settings.public_url + STATUS_PATH if settings.twilio.account_sid else None
        subscriptions = PushSubscriptions(redis)
        deliverer = Deliverer(outbox, accounts, renderer, email_sender(settings, dev), sms_sender(settings, dev),
                              settings.smtp.mail_from, callback, policy,
                              push=PushSender(vapid_key(settings), settings.push.subject), subscriptions=subscriptions)

        async def enqueue(notification_id: str, not_before: float) -> None:
            defer = datetime.fromtimestamp(not_before, timezone.utc) if not_before > time.time() else None
            await arq.enqueue_job(DELIVER_JOB, notification_id, _job_id=keys.notify_job_id(notification_id), _defer_until=defer)

        async def enqueue_batch(notification_ids: list[str]) -> None:
            await arq.enqueue_job(DELIVER_BATCH_JOB, notification_ids, _job_id=keys.notify_batch_job_id(notification_ids))

        async def retry_later(notification_id: str, attempt: int, delay_s: float) -> None:
            await arq.enqueue_job(DELIVER_JOB, notification_id, _job_id=keys.notify_retry_job_id(notification_id, attempt),
                                  _defer_by=delay_s)

        async def arm_fallback(package_id: str, provider_id: str) -> None:
            await arq.enqueue_job(FALLBACK_JOB, package_id, provider_id, _job_id=keys.fallback_job_id(package_id, provider_id),
                                  _defer_by=settings.sms_fallback_s)

        planner = Planner(accounts, packages, outbox, enqueue, arm_fallback, policy.grace_s, subscriptions,
                          reply_codes=ReplyCodes(redis).remember, enqueue_batch=enqueue_batch)
        name = f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"
        return cls(settings=settings, arq=arq, outbox=outbox, deliverer=deliverer,
                   batch=BatchDeliverer(deliverer, retry_later, enqueue, enqueue_batch), planner=planner,
                   fallback=FallbackCheck(packages, planner), consumer=GroupConsumer(redis, keys.NOTIFY_GROUP, planner.handle, name, behind_s=settings.notify_behind_s),
                   policy=policy)

    def start(self) -> None:
        self.tasks.append(asyncio.create_task(self.consumer.run(), name="notify-consumer"))
        self.tasks.append(asyncio.create_task(sweep_forever(SWEEP_EVERY_S, self.sweep, "notification sweeper"), name="notify-sweeper"))

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.tasks.clear()
        await self.deliverer.email.close()
        await self.deliverer.sms.close()
        if self.deliverer.push is not None:
            await self.deliverer.push.close()

    async def sweep(self) -> int:
        """Re-queue notifications overdue for an outcome: their job died with a worker (arq
        would only retry it after its in-progress lock expires) or was lost."""
        now = time.time()
        recovered = 0
        for notification_id in await self.outbox.overdue(now):
            note = await self.outbox.get(notification_id)
            if note is None or note.status in TERMINAL or note.status == "sent":
                await self.outbox.redis.zrem(keys.NOTIFY_PENDING, notification_id)
                continue
            await self.outbox.defer_finish_by(notification_id, now + self.policy.grace_s)
            await self.arq.enqueue_job(DELIVER_JOB, notification_id,
                                       _job_id=keys.notify_recovery_job_id(notification_id, int(now)))
            recovered += 1
        if recovered:
            log.info("re-queued %d overdue notifications", recovered)
        return recovered
