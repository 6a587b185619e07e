"""Sending one notification: the body of the arq job whose id is the notification's id.

Exactly once, and what that rests on:
- a record is made once per (user, package, event, channel) (outbox: SET NX in Lua);
- before any network call the job takes a lease (queued -> sending, atomically); a second
  executor (a duplicate job, another worker, a recovery job) finds it `busy` and leaves it;
  only the lease holder records the result, and a sent/failed record is never sent again;
- a crash between the send and the record leaves `sending` with an expired lease. Then:
  SMS: before any retry the job asks Twilio for recent messages to that number and, if one
  carries the same body, records that one as sent instead of sending again. Twilio lists a
  message once its create call has been accepted and the lease (longer than the HTTP
  timeout) has run out by then, so this proves whether the lost attempt sent: at most once
  AND at least once.
  Email: SMTP offers no such question, so email is at-least-once in that window (between
  the server's 250 and our Redis write, milliseconds): the resend carries the same
  Message-ID, which mail stores and clients use to collapse duplicates. We chose this over
  at-most-once because a lost package offer costs more than a collapsed duplicate.
"""

from __future__ import annotations

import logging
import random
import secrets
import time
from dataclasses import dataclass
from typing import Protocol

from accounts import AccountStore, PushSubscription, PushSubscriptions, User
from notifier import rules
from notifier.errors import PermanentError, TransientError
from notifier.mail import OutgoingEmail
from notifier.model import FAILED, SENT, Notification
from notifier.outbox import Outbox
from notifier.push import SubscriptionGone
from notifier.render import Renderer

log = logging.getLogger("notifier.delivery")


class EmailSender(Protocol):
    async def send(self, mail_from: str, outgoing: OutgoingEmail) -> str: ...
    async def close(self) -> None: ...


class PushTransport(Protocol):
    async def send(self, info: dict, payload: dict, topic: str, urgency: str) -> str: ...
    async def close(self) -> None: ...


class SmsSender(Protocol):
    async def send(self, to: str, body: str, status_callback: str | None) -> str: ...
    async def find_sent(self, to: str, body: str) -> str | None: ...
    async def close(self) -> None: ...


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    base_s: float = 1.0
    cap_s: float = 300.0
    lease_s: float = 20.0  # longer than any transport timeout (10 s), so a live send never looks dead
    grace_s: float = 30.0  # a record not finished this long after it was due is recovered by the sweeper

    def backoff_s(self, attempt: int, retry_after_s: float | None) -> float:
        if retry_after_s is not None:
            return min(retry_after_s, self.cap_s)  # the server said when; believe it
        # Exponential with jitter, so a burst that failed together does not retry together.
        return min(self.cap_s, self.base_s * 2 ** max(0, attempt - 1)) * random.uniform(0.8, 1.2)


@dataclass(frozen=True)
class Outcome:
    """What one run of the job did; `retry_in_s` set means: run me again then."""

    status: str
    retry_in_s: float | None = None


class Deliverer:
    def __init__(self, outbox: Outbox, accounts: AccountStore, renderer: Renderer, email: EmailSender,
                 sms: SmsSender, mail_from: str, status_callback: str | None, policy: RetryPolicy,
                 push: PushTransport | None = None, subscriptions: PushSubscriptions | None = None) -> None:
        self.outbox = outbox
        self.accounts = accounts
        self.renderer = renderer
        self.email = email
        self.sms = sms
        self.mail_from = mail_from
        self.status_callback = status_callback
        self.policy = policy
        self.push = push
        self.subscriptions = subscriptions

    async def deliver(self, notification_id: str) -> Outcome:
        note = await self.outbox.get(notification_id)
        if note is None:
            return Outcome("missing")
        now = time.time()
        if note.not_before > now + 0.5:
            return Outcome("held", retry_in_s=note.not_before - now)  # quiet hours: an early recovery run
        token = secrets.token_hex(8)
        claim = await self.outbox.claim(notification_id, self.policy.lease_s, token)
        if claim.outcome in ("done", "missing", "busy"):
            return Outcome(claim.outcome)
        note.attempts = claim.attempts
        await self.outbox.defer_finish_by(notification_id, time.time() + self.policy.lease_s + self.policy.grace_s)
        try:
            message_id = await self._send(note, resend=claim.outcome == "stale" or claim.attempts > 1)
        except TransientError as exc:
            return await self._after_failure(note, token, exc)
        except PermanentError as exc:
            log.warning("notification %s failed for good: %s", note.id, exc)
            await self.outbox.finish(note, token, FAILED, error=str(exc))
            return Outcome(FAILED)
        await self.outbox.finish(note, token, SENT, message_id=message_id)
        return Outcome(SENT)

    async def _after_failure(self, note: Notification, token: str, exc: TransientError) -> Outcome:
        if note.attempts >= self.policy.max_attempts:
            log.warning("notification %s failed after %d attempts: %s", note.id, note.attempts, exc)
            await self.outbox.finish(note, token, FAILED, error=str(exc))
            return Outcome(FAILED)
        delay = self.policy.backoff_s(note.attempts, exc.retry_after_s)
        log.info("notification %s attempt %d failed (%s); retrying in %.1fs", note.id, note.attempts, exc, delay)
        await self.outbox.requeue(note, token, str(exc))
        await self.outbox.defer_finish_by(note.id, time.time() + delay + self.policy.grace_s)
        return Outcome("retry", retry_in_s=delay)

    async def _send(self, note: Notification, *, resend: bool) -> str:
        if note.channel == "push":
            sub = await self.subscriptions.get(note.device) if self.subscriptions is not None else None
            return await self.send_prepared(note, resend=resend, user=None, sub=sub)
        return await self.send_prepared(note, resend=resend, user=await self.accounts.get(note.user_id), sub=None)

    async def send_prepared(self, note: Notification, *, resend: bool, user: User | None,
                            sub: PushSubscription | None) -> str:
        """Send one claimed record, its user (email, SMS) or device (push) already read:
        a batch reads all of them in one round trip."""
        if note.channel == "push":
            return await self._push(note, sub)
        if user is None:
            raise PermanentError("the user no longer exists")
        address = rules.address_for(user.preferences, user.email, note.channel)
        if not address:
            raise PermanentError(f"the user has no address for {note.channel}")
        if note.channel == "sms":
            body = self.renderer.sms(note.event, note.context)
            if resend:
                earlier = await self.sms.find_sent(address, body)
                if earlier is not None:
                    log.info("notification %s: an earlier attempt had sent it", note.id)
                    return earlier
            callback = f"{self.status_callback}?n={note.id}" if self.status_callback else None
            return await self.sms.send(address, body, callback)
        content = self.renderer.email(note.event, note.context)
        return await self.email.send(self.mail_from, OutgoingEmail(note.id, address, content))

    async def _push(self, note: Notification, sub: PushSubscription | None) -> str:
        if self.push is None or self.subscriptions is None:
            raise PermanentError("push is not configured in this process")
        if sub is None or sub.user_id != note.user_id:
            raise PermanentError("the device's push subscription was removed")
        payload = self.renderer.push(note.event, note.context, note.id)
        try:
            return await self.push.send(sub.info(), payload, topic=note.id, urgency=note.urgency)
        except SubscriptionGone:
            await self.subscriptions.gone(sub.id)
            raise
