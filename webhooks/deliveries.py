"""The delivery log: one record per (endpoint, event), and the lanes that send them in order.

A record is claimed once per (endpoint, event) with SET NX in the same Lua call that writes
it and puts it in its lane, so replaying an event never makes a second delivery. A lane holds
one endpoint's waiting deliveries about one package, ordered by event; only its head is ever
sent. Sending is guarded by a lease (pending -> leased atomically before the network call),
and a delivery is marked delivered and leaves its lane in one step once the receiver answers
2xx: after that nothing sends it again.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from config import keys
from core import AuditNote, iso, watched
from webhooks.errors import busy
from webhooks.model import DELIVERED, FAILED, PENDING, Delivery, Endpoint, event_order

_PLAN = """
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then return 0 end
redis.call('HSET', KEYS[2], unpack(cjson.decode(ARGV[3])))
redis.call('EXPIRE', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])
redis.call('ZREMRANGEBYRANK', KEYS[3], 0, -1 - tonumber(ARGV[6]))
redis.call('EXPIRE', KEYS[3], ARGV[2])
redis.call('ZADD', KEYS[4], ARGV[5], ARGV[1])
redis.call('SADD', KEYS[5], ARGV[7])
return 1
"""

# -> {outcome, detail}: claimed/attempts, stale/attempts, busy/lease_until, done/status, missing
_CLAIM = """
local s = redis.call('HGET', KEYS[1], 'status')
if not s then return {'missing', ''} end
if s ~= 'pending' then return {'done', s} end
local now = tonumber(ARGV[1])
local held = tonumber(redis.call('HGET', KEYS[1], 'lease_until') or '0')
if held > now then return {'busy', tostring(held)} end
local outcome = 'claimed'
if held > 0 then outcome = 'stale' end
local n = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
redis.call('HSET', KEYS[1], 'lease_until', tostring(now + tonumber(ARGV[2])), 'lease_token', ARGV[3])
return {outcome, tostring(n)}
"""

# Record an attempt's end if the lease is still ours. ARGV: token, status, fields JSON, leave lane (1/0)
_FINISH = """
if redis.call('HGET', KEYS[1], 'lease_token') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[2], 'lease_until', '0', 'lease_token', '', unpack(cjson.decode(ARGV[3])))
if ARGV[4] == '1' then redis.call('ZREM', KEYS[2], ARGV[5]) end
return 1
"""

# Forget a lane that has emptied, atomically with respect to a delivery being planned into it.
_FORGET_LANE = """
if redis.call('ZCARD', KEYS[1]) == 0 then redis.call('SREM', KEYS[2], ARGV[1]) return 1 end
return 0
"""

@dataclass(frozen=True)
class Claim:
    outcome: str  # claimed | stale | busy | done | missing
    attempts: int = 0


def lane_member(endpoint_id: str, lane: str) -> str:
    return f"{endpoint_id}|{lane}"


def parse_lane_member(member: str) -> tuple[str, str]:
    endpoint_id, _, lane = member.partition("|")
    return endpoint_id, lane


class DeliveryLog:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._plan = redis.register_script(_PLAN)
        self._claim = redis.register_script(_CLAIM)
        self._finish = redis.register_script(_FINISH)
        self._forget_lane = redis.register_script(_FORGET_LANE)

    async def plan(self, delivery: Delivery) -> bool:
        """Write the delivery into its lane unless this endpoint already has one for the event."""
        flat = [part for pair in delivery.to_hash().items() for part in pair]
        created = await self._plan(
            keys=[keys.webhook_claim(delivery.endpoint_id, delivery.event_id), keys.webhook_delivery(delivery.id),
                  keys.webhook_deliveries(delivery.endpoint_id), keys.webhook_lane(delivery.endpoint_id, delivery.lane),
                  keys.WEBHOOK_LANES],
            args=[delivery.id, keys.WEBHOOK_DELIVERY_TTL_S, json.dumps(flat), delivery.created_at,
                  event_order(delivery.event_id), keys.WEBHOOK_DELIVERIES_KEPT, lane_member(delivery.endpoint_id, delivery.lane)],
        )
        return bool(created)

    async def get(self, delivery_id: str) -> Delivery | None:
        raw = await self.redis.hgetall(keys.webhook_delivery(delivery_id))
        return Delivery.from_hash(raw) if raw else None

    async def for_endpoint(self, endpoint_id: str, limit: int = 200) -> list[Delivery]:
        """The endpoint's newest deliveries first."""
        ids = await self.redis.zrevrange(keys.webhook_deliveries(endpoint_id), 0, limit - 1)
        if not ids:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for delivery_id in ids:
                pipe.hgetall(keys.webhook_delivery(delivery_id))
            found = await pipe.execute()
        return [Delivery.from_hash(raw) for raw in found if raw]

    async def head(self, endpoint_id: str, lane: str) -> str | None:
        first = await self.redis.zrange(keys.webhook_lane(endpoint_id, lane), 0, 0)
        return first[0] if first else None

    async def claim(self, delivery_id: str, lease_s: float, token: str) -> Claim:
        outcome, detail = await self._claim(keys=[keys.webhook_delivery(delivery_id)], args=[time.time(), lease_s, token])
        if outcome in ("claimed", "stale"):
            return Claim(outcome, attempts=int(detail))
        return Claim(outcome)

    async def delivered(self, delivery: Delivery, token: str, status_code: int) -> bool:
        return await self._end(delivery, token, DELIVERED, leave_lane=True,
                               last_status_code=str(status_code), last_error="", delivered_at=iso(time.time()))

    async def attempt_failed(self, delivery: Delivery, token: str, status_code: int | None, error: str,
                             next_attempt_at: float, give_up: bool) -> bool:
        fields = {"last_status_code": "" if status_code is None else str(status_code), "last_error": error[:200],
                  "next_attempt_at": repr(next_attempt_at)}
        return await self._end(delivery, token, FAILED if give_up else PENDING, leave_lane=give_up, **fields)

    async def _end(self, delivery: Delivery, token: str, status: str, *, leave_lane: bool, **fields: str) -> bool:
        flat = [part for pair in fields.items() for part in pair]
        done = await self._finish(
            keys=[keys.webhook_delivery(delivery.id), keys.webhook_lane(delivery.endpoint_id, delivery.lane)],
            args=[token, status, json.dumps(flat), "1" if leave_lane else "0", delivery.id],
        )
        return bool(done)

    async def leave_lane(self, endpoint_id: str, lane: str, delivery_id: str) -> None:
        await self.redis.zrem(keys.webhook_lane(endpoint_id, lane), delivery_id)

    async def forget_lane_if_empty(self, endpoint_id: str, lane: str) -> bool:
        return bool(await self._forget_lane(keys=[keys.webhook_lane(endpoint_id, lane), keys.WEBHOOK_LANES],
                                            args=[lane_member(endpoint_id, lane)]))

    async def drop_lane(self, endpoint_id: str, lane: str) -> None:
        """The endpoint is gone: nothing in its lane will be sent."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(keys.webhook_lane(endpoint_id, lane))
            pipe.srem(keys.WEBHOOK_LANES, lane_member(endpoint_id, lane))
            await pipe.execute()

    async def resend(self, endpoint: Endpoint, delivery: Delivery, note: AuditNote) -> bool:
        """Send a delivered or failed delivery once more (an admin's choice: the receiver lost
        it), audited in the same transaction. False, writing nothing, if it is still waiting
        to be sent anyway, or it or its endpoint is gone. WATCHed: a worker's claim or an
        endpoint's deletion in between makes it decide again on what is there now."""
        record, lane = keys.webhook_delivery(delivery.id), keys.webhook_lane(delivery.endpoint_id, delivery.lane)

        async def write(pipe: Pipeline) -> bool:
            status = await pipe.hget(record, "status")
            if status is None or status == PENDING or not await pipe.exists(keys.webhook(endpoint.id)):
                return False
            pipe.multi()
            pipe.hset(record, mapping={"status": PENDING, "next_attempt_at": "0", "lease_until": "0", "lease_token": ""})
            pipe.zadd(lane, {delivery.id: event_order(delivery.event_id)})
            pipe.sadd(keys.WEBHOOK_LANES, lane_member(delivery.endpoint_id, delivery.lane))
            note.queue(pipe, "webhook.resent", "webhook", endpoint.id, endpoint.url, None,
                       {"delivery_id": delivery.id, "event_id": delivery.event_id})
            return True

        return await watched(self.redis, [record, keys.webhook(endpoint.id)], write, busy)

    async def busy_lanes(self, limit: int = 1000) -> list[tuple[str, str]]:
        members: list[str] = []
        cursor = 0
        while True:
            cursor, found = await self.redis.sscan(keys.WEBHOOK_LANES, cursor, count=200)
            members.extend(found)
            if cursor == 0 or len(members) >= limit:
                break
        return [parse_lane_member(m) for m in members[:limit]]

