"""The outbox: notification records in Redis and every change of their status.

A record is claimed once per (user, package, event, channel) with SET NX in the same Lua
call that writes it, so replaying an event can never make a second record, and a crash
cannot leave a claim without its record. Sending is guarded by a lease: a record moves
queued -> sending atomically (Lua) before any network call, and only the holder of that
lease records the result.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any, Callable

from redis.asyncio import Redis
from redis.exceptions import WatchError

from config import keys
from core import Event, EventLog, iso
from notifier.model import FAILED, RANK, SENDING, SENT, TERMINAL, Notification

_CREATE = """
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then return 0 end
redis.call('HSET', KEYS[2], unpack(cjson.decode(ARGV[3])))
redis.call('EXPIRE', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])
redis.call('EXPIRE', KEYS[3], ARGV[2])
redis.call('ZADD', KEYS[4], ARGV[5], ARGV[1])
return 1
"""

# -> {outcome, detail}: claimed/attempts, busy/lease_until, stale/attempts, done/status, missing
_CLAIM = """
local s = redis.call('HGET', KEYS[1], 'status')
if not s then return {'missing', ''} end
if s == 'sent' or s == 'delivered' or s == 'failed' then return {'done', s} end
local now = tonumber(ARGV[1])
local lease = now + tonumber(ARGV[2])
if s == 'sending' then
  local held = tonumber(redis.call('HGET', KEYS[1], 'lease_until') or '0')
  if held > now then return {'busy', tostring(held)} end
  -- the holder died mid-send: counted as an attempt, so a message that kills workers is bounded too
  local n = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
  redis.call('HSET', KEYS[1], 'lease_until', tostring(lease), 'lease_token', ARGV[3], 'updated_at', ARGV[4])
  return {'stale', tostring(n)}
end
local n = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
redis.call('HSET', KEYS[1], 'status', 'sending', 'lease_until', tostring(lease), 'lease_token', ARGV[3], 'updated_at', ARGV[4])
return {'claimed', tostring(n)}
"""

# Many claims in one call (a batch job): the claim above for each record, and for each one
# claimed its finish-by moved past the lease (what defer_finish_by does for one record).
# KEYS: the records' hashes, then NOTIFY_PENDING. ARGV: now, lease_s, iso now, finish_by,
# then (id, token) per record. -> flat {outcome, detail} per record, in order.
_CLAIM_MANY = """
local now = tonumber(ARGV[1])
local lease = now + tonumber(ARGV[2])
local pending = KEYS[#KEYS]
local out = {}
for i = 1, #KEYS - 1 do
  local key = KEYS[i]
  local id, token = ARGV[3 + 2 * i], ARGV[4 + 2 * i]
  local s = redis.call('HGET', key, 'status')
  local outcome, detail = 'missing', ''
  if not s then
    outcome = 'missing'
  elseif s == 'sent' or s == 'delivered' or s == 'failed' then
    outcome, detail = 'done', s
  elseif s == 'sending' and tonumber(redis.call('HGET', key, 'lease_until') or '0') > now then
    outcome, detail = 'busy', redis.call('HGET', key, 'lease_until')
  else
    -- queued, or sending with a dead holder (counted as an attempt, as in the single claim)
    outcome = (s == 'sending') and 'stale' or 'claimed'
    detail = tostring(redis.call('HINCRBY', key, 'attempts', 1))
    redis.call('HSET', key, 'status', 'sending', 'lease_until', tostring(lease), 'lease_token', token, 'updated_at', ARGV[3])
    redis.call('ZADD', pending, 'XX', ARGV[4], id)
  end
  out[#out + 1] = outcome
  out[#out + 1] = detail
end
return out
"""
MANY_TRIES = 4  # a batch's finish retried this often when a receipt races it, then one by one

# (current record) -> (fields to write, event to log) or None to leave it
Change = Callable[[Notification], "tuple[dict[str, str], Event | None] | None"]


@dataclass(frozen=True)
class Claim:
    outcome: str  # claimed | stale | busy | done | missing
    attempts: int = 0
    busy_until: float = 0.0


class Outbox:
    def __init__(self, redis: Redis, events: EventLog) -> None:
        self.redis = redis
        self.events = events
        self._create = redis.register_script(_CREATE)
        self._claim = redis.register_script(_CLAIM)
        self._claim_many = redis.register_script(_CLAIM_MANY)

    async def create(self, note: Notification, finish_by: float) -> bool:
        """Write the record unless (user, package, event, channel) already has one."""
        flat: list[str] = [part for pair in note.to_hash().items() for part in pair]
        created = await self._create(
            keys=[keys.notification_claim(note.user_id, note.package_id, note.key_event or note.event, note.channel_key),
                  keys.notification(note.id), keys.package_notifications(note.package_id), keys.NOTIFY_PENDING],
            args=[note.id, keys.NOTIFICATION_TTL_S, json.dumps(flat), time.time(), finish_by],
        )
        return bool(created)

    async def create_many(self, notes: list[tuple[Notification, float]]) -> list[bool]:
        """create() for many (note, finish_by) pairs in one round trip; each stays atomic."""
        if not notes:
            return []
        now = time.time()
        async with self.redis.pipeline(transaction=False) as pipe:
            for note, finish_by in notes:
                flat = [part for pair in note.to_hash().items() for part in pair]
                await self._create(
                    keys=[keys.notification_claim(note.user_id, note.package_id, note.key_event or note.event, note.channel_key),
                          keys.notification(note.id), keys.package_notifications(note.package_id), keys.NOTIFY_PENDING],
                    args=[note.id, keys.NOTIFICATION_TTL_S, json.dumps(flat), now, finish_by], client=pipe,
                )
            return [bool(created) for created in await pipe.execute()]

    async def get_many(self, notification_ids: list[str]) -> dict[str, Notification]:
        async with self.redis.pipeline(transaction=False) as pipe:
            for notification_id in notification_ids:
                pipe.hgetall(keys.notification(notification_id))
            raws = await pipe.execute()
        return {i: Notification.from_hash(raw) for i, raw in zip(notification_ids, raws, strict=True) if raw}

    async def claim_many(self, tokens: dict[str, str], lease_s: float, finish_by: float) -> dict[str, Claim]:
        """claim() and defer_finish_by() for many records (id -> lease token) in one atomic call."""
        if not tokens:
            return {}
        ids = list(tokens)
        now = time.time()
        flat = await self._claim_many(
            keys=[*(keys.notification(i) for i in ids), keys.NOTIFY_PENDING],
            args=[now, lease_s, iso(now), finish_by, *(part for i in ids for part in (i, tokens[i]))],
        )
        out: dict[str, Claim] = {}
        for n, notification_id in enumerate(ids):
            outcome, detail = flat[2 * n], flat[2 * n + 1]
            if outcome in ("claimed", "stale"):
                out[notification_id] = Claim(outcome, attempts=int(detail or 0))
            elif outcome == "busy":
                out[notification_id] = Claim(outcome, busy_until=float(detail))
            else:
                out[notification_id] = Claim(outcome)
        return out

    async def get(self, notification_id: str) -> Notification | None:
        raw = await self.redis.hgetall(keys.notification(notification_id))
        return Notification.from_hash(raw) if raw else None

    async def claim(self, notification_id: str, lease_s: float, token: str) -> Claim:
        outcome, detail = await self._claim(
            keys=[keys.notification(notification_id)], args=[time.time(), lease_s, token, iso(time.time())],
        )
        if outcome in ("claimed", "stale"):
            return Claim(outcome, attempts=int(detail or 0))
        if outcome == "busy":
            return Claim(outcome, busy_until=float(detail))
        return Claim(outcome)

    async def finish(self, note: Notification, token: str, status: str, *, message_id: str = "", error: str = "") -> bool:
        """Record the result of the attempt holding `token`; False if the lease was lost."""
        return await self._update(note.id, _finishing(token, status, message_id, error), done=status in (SENT, FAILED))

    async def requeue(self, note: Notification, token: str, error: str) -> bool:
        """Give the lease back after a failed attempt, for a retry later."""
        return await self._update(note.id, _requeueing(token, error), done=False)

    async def settle_many(self, results: list[tuple[str, str, str, str, str]]) -> dict[str, bool]:
        """finish() or requeue() for many records in one transaction: (id, token, status,
        message id, error) each, status "queued" meaning give the lease back for a retry."""
        changes = {notification_id: (_requeueing(token, error), False) if status == "queued" else
                   (_finishing(token, status, message_id, error), status in (SENT, FAILED))
                   for notification_id, token, status, message_id, error in results}
        return await self._update_many(changes)

    async def _update_many(self, changes: dict[str, tuple[Change, bool]]) -> dict[str, bool]:
        """_update() for many records with one WATCH, one read and one MULTI/EXEC. The read goes
        over another connection after the WATCH is in place: any write to a record after the
        WATCH, read or not, still makes the EXEC fail, and then the whole batch is tried again."""
        ids = list(changes)
        done = dict.fromkeys(ids, False)
        if not ids:
            return done
        record_keys = [keys.notification(i) for i in ids]
        for _ in range(MANY_TRIES):
            async with self.redis.pipeline(transaction=True) as pipe:
                await pipe.watch(*record_keys)
                async with self.redis.pipeline(transaction=False) as read:
                    for key in record_keys:
                        read.hgetall(key)
                    raws = await read.execute()
                pipe.multi()
                applied = []
                for notification_id, key, raw in zip(ids, record_keys, raws, strict=True):
                    change, finished = changes[notification_id]
                    result = change(Notification.from_hash(raw)) if raw else None
                    if result is None:
                        continue
                    fields, event = result
                    pipe.hset(key, mapping={**fields, "updated_at": iso(time.time())})
                    if finished:
                        pipe.zrem(keys.NOTIFY_PENDING, notification_id)
                    if event is not None:
                        self.events.queue(pipe, event)
                    applied.append(notification_id)
                if not applied:
                    await pipe.reset()
                    return done
                try:
                    await pipe.execute()
                except WatchError:
                    continue
                done.update(dict.fromkeys(applied, True))
                return done
        # Receipts keep racing this batch: settle it one record at a time.
        for notification_id, (change, finished) in changes.items():
            done[notification_id] = await self._update(notification_id, change, done=finished)
        return done

    async def receipt(self, notification_id: str, status: str, message_id: str) -> bool:
        """Apply a delivery receipt; statuses only move forward and never leave a terminal one."""
        def change(current: Notification) -> tuple[dict[str, str], Event | None] | None:
            if current.status in TERMINAL or RANK[status] <= RANK.get(current.status, 0):
                return None
            fields = {"status": status}
            if message_id and not current.provider_message_id:
                fields["provider_message_id"] = message_id
            # A receipt may overtake our own record of the send; then it announces the send.
            return fields, _event(current, status, "")

        return await self._update(notification_id, change, done=True)

    async def _update(self, notification_id: str, change: Any, *, done: bool) -> bool:
        key = keys.notification(notification_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    await pipe.watch(key)
                    raw = await pipe.hgetall(key)
                    if not raw:
                        await pipe.reset()
                        return False
                    current = Notification.from_hash(raw)
                    result = change(current)
                    if result is None:
                        await pipe.reset()
                        return False
                    fields, event = result
                    pipe.multi()
                    pipe.hset(key, mapping={**fields, "updated_at": iso(time.time())})
                    if done:
                        pipe.zrem(keys.NOTIFY_PENDING, notification_id)
                    if event is not None:
                        self.events.queue(pipe, event)
                    await pipe.execute()
                    return True
                except WatchError:
                    continue

    async def defer_finish_by(self, notification_id: str, finish_by: float) -> None:
        await self.redis.zadd(keys.NOTIFY_PENDING, {notification_id: finish_by}, xx=True)

    async def defer_many_finish_by(self, notification_ids: list[str], finish_by: float) -> None:
        if notification_ids:
            await self.redis.zadd(keys.NOTIFY_PENDING, dict.fromkeys(notification_ids, finish_by), xx=True)

    async def overdue(self, now: float, limit: int = 200) -> list[str]:
        return await self.redis.zrangebyscore(keys.NOTIFY_PENDING, 0, now, start=0, num=limit)

    async def for_package(self, package_id: str) -> list[Notification]:
        ids = await self.redis.zrange(keys.package_notifications(package_id), 0, -1)
        out = []
        for notification_id in ids:
            note = await self.get(notification_id)
            if note is not None:
                out.append(note)
        return out


def _finishing(token: str, status: str, message_id: str, error: str) -> Change:
    def change(current: Notification) -> tuple[dict[str, str], Event | None] | None:
        if current.lease_token != token:
            return None
        fields = {"provider_message_id": message_id or current.provider_message_id, "error": error,
                  "lease_until": "0", "finished_at": repr(time.time())}
        if current.status != SENDING:
            # A delivery receipt overtook our own record of the send: keep its status.
            return fields, None
        fields["status"] = status
        return fields, _event(current, status, error)

    return change


def _requeueing(token: str, error: str) -> Change:
    def change(current: Notification) -> tuple[dict[str, str], Event | None] | None:
        if current.lease_token != token or current.status != SENDING:
            return None
        return {"status": "queued", "error": error, "lease_until": "0"}, None

    return change


def _event(note: Notification, status: str, error: str) -> Event:
    """notification.sent / .delivered / .failed: brokers only (empty audience), no addresses."""
    data: dict[str, Any] = {
        "notification_id": note.id, "user_id": note.user_id, "package_id": note.package_id,
        "channel": note.channel, "event": note.event, "attempts": note.attempts,
    }
    if error:
        data["error"] = error
    return Event(type=f"notification.{status}", package_id=note.package_id, data=data)
