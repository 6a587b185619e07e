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
from typing import Any

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

    async def create(self, note: Notification, finish_by: float) -> bool:
        """Write the record unless (user, package, event, channel) already has one."""
        flat: list[str] = [part for pair in note.to_hash().items() for part in pair]
        created = await self._create(
            keys=[keys.notification_claim(note.user_id, note.package_id, note.key_event or note.event, note.channel_key),
                  keys.notification(note.id), keys.package_notifications(note.package_id), keys.NOTIFY_PENDING],
            args=[note.id, keys.NOTIFICATION_TTL_S, json.dumps(flat), time.time(), finish_by],
        )
        return bool(created)

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

        return await self._update(note.id, change, done=status in (SENT, FAILED))

    async def requeue(self, note: Notification, token: str, error: str) -> bool:
        """Give the lease back after a failed attempt, for a retry later."""
        def change(current: Notification) -> tuple[dict[str, str], Event | None] | None:
            if current.lease_token != token or current.status != SENDING:
                return None
            return {"status": "queued", "error": error, "lease_until": "0"}, None

        return await self._update(note.id, change, done=False)

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


def _event(note: Notification, status: str, error: str) -> Event:
    """notification.sent / .delivered / .failed: brokers only (empty audience), no addresses."""
    data: dict[str, Any] = {
        "notification_id": note.id, "user_id": note.user_id, "package_id": note.package_id,
        "channel": note.channel, "event": note.event, "attempts": note.attempts,
    }
    if error:
        data["error"] = error
    return Event(type=f"notification.{status}", package_id=note.package_id, data=data)
