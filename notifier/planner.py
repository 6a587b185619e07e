"""From events to notification records: who is told, on which channel, and when.

Runs in the worker's stream consumer. Planning is idempotent (a replayed event finds its
records already claimed), so an event handed over from a dead consumer is simply planned
again.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable

from accounts import AccountStore, PushSubscriptions, User
from core import Event, iso
from matcher import Package, PackageStore
from notifier import rules
from notifier.model import Notification, notification_id
from notifier.outbox import Outbox
from notifier.replies import reply_code

log = logging.getLogger("notifier.planner")
# (notification id, not before epoch): puts the delivery job on the queue.
Enqueue = Callable[[str, float], Awaitable[None]]
# (package id, provider id): arms the SMS fallback check for an unseen amber package.
ArmFallback = Callable[[str, str], Awaitable[None]]
# (package id): keeps the package's SMS reply code resolvable (see notifier/replies.py).
RememberCode = Callable[[str], Awaitable[str]]
# (notification ids of one channel, all due now): puts one batch delivery job on the queue.
EnqueueBatch = Callable[[list[str]], Awaitable[None]]
BATCH_SIZE = 100  # records per batch job (notifier/batch.py): amortises round trips, still spreads over workers


class Planner:
    def __init__(self, accounts: AccountStore, packages: PackageStore, outbox: Outbox, enqueue: Enqueue,
                 arm_fallback: ArmFallback, grace_s: float, subscriptions: PushSubscriptions | None = None,
                 reply_codes: RememberCode | None = None, enqueue_batch: EnqueueBatch | None = None) -> None:
        self.reply_codes = reply_codes
        self.enqueue_batch = enqueue_batch
        self.accounts = accounts
        self.packages = packages
        self.outbox = outbox
        self.enqueue = enqueue
        self.arm_fallback = arm_fallback
        self.grace_s = grace_s
        self.subscriptions = subscriptions

    async def handle(self, events: list[Event]) -> int:
        """Plan a batch of events; returns how many notifications were queued."""
        wanted = [e for e in events if e.package_id and (
            (rules.told(e.type, e.data)[0] and e.audience) or rules.told(e.type, e.data)[1])]
        if not wanted:
            return 0
        # Once per batch: a burst of matches shares one read of each team.
        team = await self.teams({p for e in wanted if rules.told(e.type, e.data)[0] for p in e.audience})
        brokers = await self.accounts.users_with_role("broker") if any(rules.told(e.type, e.data)[1] for e in wanted) else []
        devices = await self.devices([u for users in team.values() for u in users] + list(brokers))
        if self.reply_codes is not None:
            for event in wanted:
                if event.type in rules.REPLY_CODE_EVENTS and event.package_id:
                    await self.reply_codes(event.package_id)
        # One read of every package the batch names.
        packages = await self.packages.load_many(list(dict.fromkeys(e.package_id or "" for e in wanted)))
        planned: list[Notification] = []
        for event in wanted:
            pid = event.package_id or ""
            package = packages.get(pid)
            if package is None:
                continue
            now = datetime.now(timezone.utc)
            to_providers, to_brokers = rules.told(event.type, event.data)
            if to_brokers:
                for user in brokers:
                    planned.extend(plan_for_user(event, package, user, now, devices=devices.get(user.id, []), for_broker=True))
            if not to_providers:
                continue
            for provider_id in event.audience:
                for user in team.get(provider_id, []):
                    planned.extend(plan_for_user(event, package, user, now, devices=devices.get(user.id, [])))
                if event.type == "package.matched" and package.urgency in rules.FALLBACK_URGENCIES:
                    await self.arm_fallback(pid, provider_id)
        return await self.submit_many(planned)

    async def submit_many(self, notes: list[Notification]) -> int:
        """submit() for a whole batch of events: the records in one round trip, and the
        records due now on batch jobs of one channel each (held ones on their own deferred
        job, as submit() does)."""
        if self.enqueue_batch is None:
            return sum([await self.submit(note) for note in notes])
        notes = list({note.id: note for note in notes}.values())  # one event planned twice in a batch
        created = await self.outbox.create_many([(n, max(time.time(), n.not_before) + self.grace_s) for n in notes])
        # Enqueued even when the record already existed, for the reason submit() gives.
        now = time.time()
        due: dict[str, list[str]] = {}
        for note in notes:
            if note.not_before > now:
                await self.enqueue(note.id, note.not_before)
            else:
                due.setdefault(note.channel, []).append(note.id)
        for ids in due.values():
            for start in range(0, len(ids), BATCH_SIZE):
                await self.enqueue_batch(ids[start:start + BATCH_SIZE])
        return sum(created)

    async def submit(self, note: Notification) -> int:
        created = await self.outbox.create(note, max(time.time(), note.not_before) + self.grace_s)
        # Enqueue even when the record already existed: the job may have been lost with the
        # process that made the record. The job id is the notification id, so this is a no-op
        # while the job exists, and a finished record is never sent again anyway.
        await self.enqueue(note.id, note.not_before)
        return int(created)

    async def devices(self, users: list[User]) -> dict[str, list[str]]:
        """Each user's push subscriptions, one round trip for the batch."""
        if self.subscriptions is None:
            return {}
        wanting = [u.id for u in dict((u.id, u) for u in users).values() if "push" in _all_channels(u)]
        return await self.subscriptions.ids_of(wanting)

    async def teams(self, provider_ids: set[str]) -> dict[str, list[User]]:
        return {pid: await self.accounts.users_of_provider(pid) for pid in provider_ids}


def context_of(event: Event, package: Package, *, for_broker: bool = False) -> dict[str, Any]:
    """What the message may say: nothing a provider may not see before award."""
    return {
        "reply_code": reply_code(package.id) if event.type in rules.REPLY_CODE_EVENTS and not for_broker else None,
        "package_id": package.id, "urgency": package.urgency, "district": package.district,
        "sector": package.sector, "hours_per_week": package.hours_per_week,
        "deadline": event.data.get("deadline") or package.deadline, "reason": event.data.get("reason"), "auto": event.data.get("auto"),
        "for_broker": for_broker or event.type in rules.BROKER_EVENTS, "offers": event.data.get("offers"),
    }


def _all_channels(user: User) -> set[str]:
    return {c for urgency in ("red", "amber", "green") for c in rules.channels_for(user.preferences, urgency)}


def plan_for_user(event: Event, package: Package, user: User, now: datetime, *,
                  channels: list[str] | None = None, devices: list[str] | None = None,
                  for_broker: bool = False) -> list[Notification]:
    chosen = rules.channels_for(user.preferences, package.urgency) if channels is None else channels
    held = rules.hold_until(user.preferences, package.urgency, now)
    key_event = rules.item_key(event.type, event.data)
    if event.type == "deadline.reminder":
        key_event = f"{event.type}:wave{event.data.get('wave', 1)}"  # one reminder per window
    out = []
    for channel in chosen:
        if not rules.address_for(user.preferences, user.email, channel):
            continue
        # Push goes to each device on its own record; the other channels have one address.
        for device in (devices or []) if channel == "push" else [""]:
            channel_key = f"{channel}:{device}" if device else channel
            out.append(Notification(
                id=notification_id(user.id, package.id, key_event, channel_key), user_id=user.id, package_id=package.id,
                event=event.type, key_event=key_event, channel=channel, device=device, event_id=event.id,
                urgency=package.urgency, created_at=iso(now.timestamp()), updated_at=iso(now.timestamp()),
                queued_at=time.time(), not_before=held.timestamp() if held else 0.0,
                context=context_of(event, package, for_broker=for_broker),
            ))
    return out
