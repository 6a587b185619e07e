"""Delivering many records of one channel in one arq job.

One record per job paid for its bookkeeping one Redis round trip at a time (arq's own job
handling, a read, the claim, the finish-by, the user, the WATCH/MULTI finish): about twenty
per message, which, not the SMTP server or Twilio, set the pace. A batch job does the same
steps for up to the planner's BATCH_SIZE records: one read of the records and one of their
users or devices; then, SLICE records at a time, one Lua call claiming them (each its own
lease with its own token, exactly as `Outbox.claim`), the sends side by side over the
transports' kept-alive connections, and one transaction recording every result (the same
change per record as `Outbox.finish`/`requeue`, with its event). A slice is claimed only
when one of the worker's SLICES_AT_ONCE slots is free, so a record never waits for a
connection while its lease runs.

Every guarantee of the single job holds record by record: a record already sent, or leased
by a live executor, is left alone; a crash anywhere leaves leased records for the sweeper
(their lease and finish-by are set before any send), and a resend after a crash asks Twilio
first (SMS) or carries the same Message-ID / Topic (email / push). A record that fails for
now is given back and retried on its own job after its backoff, so one slow address never
holds the rest of a batch.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections import Counter
from typing import Awaitable, Callable

from accounts import PushSubscription, User
from notifier.delivery import Deliverer
from notifier.errors import PermanentError, TransientError
from notifier.model import FAILED, SENT, Notification

log = logging.getLogger("notifier.batch")
SLICE = 25  # records claimed together, just before they are sent
SLICES_AT_ONCE = 4  # per worker: at most 100 records claimed and not yet sent
# (notification id, attempt, delay s): puts one record's retry on the queue.
RetryLater = Callable[[str, int, float], Awaitable[None]]
# (notification id, not before epoch): a record still in its quiet hours goes back on its own job.
HoldUntil = Callable[[str, float], Awaitable[None]]
# (notification ids): the rest of a batch that waited too long goes on a new batch job.
HandOn = Callable[[list[str]], Awaitable[None]]
HAND_ON_AFTER_S = 25.0  # plus one slice's sends (at most two 10 s transport timeouts): inside the job's 60 s

# (id, token, status, provider message id, error); status "queued" = give back for a retry
Result = tuple[str, str, str, str, str]


class BatchDeliverer:
    def __init__(self, deliverer: Deliverer, retry_later: RetryLater, hold_until: HoldUntil, hand_on: HandOn) -> None:
        self.deliverer = deliverer
        self.retry_later = retry_later
        self.hold_until = hold_until
        self.hand_on = hand_on
        self.slots = asyncio.Semaphore(SLICES_AT_ONCE)

    async def deliver(self, notification_ids: list[str]) -> dict[str, int]:
        """Deliver what is due among these records; returns how many ended in each outcome."""
        d = self.deliverer
        outcomes: Counter[str] = Counter()
        ids = list(dict.fromkeys(notification_ids))
        notes = await d.outbox.get_many(ids)
        outcomes["missing"] += len(ids) - len(notes)
        now = time.time()
        due: list[Notification] = []
        for note in notes.values():
            if note.not_before > now + 0.5:
                await self.hold_until(note.id, note.not_before)  # quiet hours: back on its own deferred job
                outcomes["held"] += 1
            elif note.status in ("queued", "sending"):
                due.append(note)
            else:
                outcomes["done"] += 1
        if not due:
            return dict(outcomes)
        users = await d.accounts.get_many([n.user_id for n in due if n.channel != "push"])
        subs = (await d.subscriptions.get_many([n.device for n in due if n.channel == "push"])
                if d.subscriptions is not None else {})
        hand_on_at = time.monotonic() + HAND_ON_AFTER_S
        # This job answers for them until it hands them on: the sweeper, which recovers
        # records whose job died, leaves them alone till then (a backlog is not a crash).
        await d.outbox.defer_many_finish_by([n.id for n in due], time.time() + HAND_ON_AFTER_S + d.policy.grace_s)
        for start in range(0, len(due), SLICE):
            # Claimed only when a slot is free, so a lease never runs out while its record
            # waits for a connection: what a worker holds claimed and unsent stays bounded.
            try:
                await asyncio.wait_for(self.slots.acquire(), max(0.0, hand_on_at - time.monotonic()))
            except asyncio.TimeoutError:
                # A backlog: rather than outlive arq's job timeout (and, after a crash, keep
                # the job "in progress" that long), the records not yet claimed go on a new job.
                rest = [n.id for n in due[start:]]
                await self.hand_on(rest)
                outcomes["handed_on"] += len(rest)
                break
            try:
                await self._slice(due[start:start + SLICE], users, subs, outcomes)
            finally:
                self.slots.release()
        return dict(outcomes)

    async def _slice(self, due: list[Notification], users: dict[str, User], subs: dict[str, PushSubscription],
                     outcomes: Counter[str]) -> None:
        d = self.deliverer
        tokens = {n.id: secrets.token_hex(8) for n in due}
        claims = await d.outbox.claim_many(tokens, d.policy.lease_s, time.time() + d.policy.lease_s + d.policy.grace_s)
        mine: list[tuple[Notification, bool]] = []
        for note in due:
            claim = claims[note.id]
            if claim.outcome in ("claimed", "stale"):
                note.attempts = claim.attempts
                mine.append((note, claim.outcome == "stale" or claim.attempts > 1))
            else:
                outcomes[claim.outcome] += 1
        if not mine:
            return
        sent = await asyncio.gather(*(self._send(note, tokens[note.id], resend, users, subs) for note, resend in mine),
                                    return_exceptions=True)
        results: list[Result] = []
        retries: list[tuple[Notification, float]] = []
        unexpected: BaseException | None = None
        for (note, _), got in zip(mine, sent, strict=True):
            if isinstance(got, BaseException):
                # Not a transport's answer (a bug, Redis gone): the record keeps its lease and
                # the sweeper takes it up, as it would after a crash.
                log.error("notification %s: %s", note.id, type(got).__name__)
                unexpected = unexpected or got
                continue
            result, delay = got
            results.append(result)
            outcomes["retry" if delay is not None else result[2]] += 1
            if delay is not None:
                retries.append((note, delay))
        settled = await d.outbox.settle_many(results)
        for note, delay in retries:
            if settled.get(note.id):
                await d.outbox.defer_finish_by(note.id, time.time() + delay + d.policy.grace_s)
                await self.retry_later(note.id, note.attempts, delay)
        if unexpected is not None:
            raise unexpected

    async def _send(self, note: Notification, token: str, resend: bool, users: dict[str, User],
                    subs: dict[str, PushSubscription]) -> tuple[Result, float | None]:
        """One record's attempt -> its result and, for a retry, the delay before it."""
        d = self.deliverer
        try:
            message_id = await d.send_prepared(note, resend=resend, user=users.get(note.user_id),
                                               sub=subs.get(note.device) if note.device else None)
        except TransientError as exc:
            if note.attempts >= d.policy.max_attempts:
                log.warning("notification %s failed after %d attempts: %s", note.id, note.attempts, exc)
                return (note.id, token, FAILED, "", str(exc)), None
            delay = d.policy.backoff_s(note.attempts, exc.retry_after_s)
            log.info("notification %s attempt %d failed (%s); retrying in %.1fs", note.id, note.attempts, exc, delay)
            return (note.id, token, "queued", "", str(exc)), delay
        except PermanentError as exc:
            log.warning("notification %s failed for good: %s", note.id, exc)
            return (note.id, token, FAILED, "", str(exc)), None
        return (note.id, token, SENT, message_id, ""), None
