"""Requests for more time: a matched provider asks the broker for a longer window.

The broker extends the deadline (POST /api/packages/{id}/deadline) or refuses with a reason;
either way the provider hears (`deadline.extended` to everyone matched, or
`deadline.extension_refused` to the asker). Extending marks every waiting request `granted`
in the same transaction (the new deadline and the broker's reason on it), so the asker and
the broker's package page read the outcome, not a request still waiting."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from config import keys
from core import Event, EventLog, iso, new_id
from matcher import state
from matcher.errors import Conflict, Invalid, NotFound
from matcher.model import Record
from matcher.packages import PackageStore, Reader
from matcher.questions import quotes_private
from matcher.tx import transact
from matcher.inputs import ReasonInput


@dataclass
class TimeRequest(Record):
    id: str
    package_id: str
    provider_id: str
    requested_by: str
    reason: str
    requested_at: str
    status: str = "requested"  # requested, refused, granted
    decided_at: str | None = None
    decided_by: str | None = None
    decision_reason: str | None = None
    granted_deadline: str | None = None  # the deadline the broker moved the window to


async def waiting_in(pipe: Pipeline, package_id: str) -> list[TimeRequest]:
    """The package's requests still waiting for a decision, read under the caller's WATCH."""
    raws = await pipe.hvals(keys.package_time_requests(package_id))
    asks = (TimeRequest.from_dict(json.loads(r)) for r in raws)
    return [a for a in asks if a.status == "requested"]


def queue_granted(pipe: Pipeline, asks: list[TimeRequest], deadline: str, reason: str, actor: str) -> None:
    """Mark waiting requests granted by an extension (queued in the extension's MULTI)."""
    now = iso(time.time())
    for ask in asks:
        ask.status, ask.decided_at, ask.decided_by, ask.decision_reason = "granted", now, actor, reason
        ask.granted_deadline = deadline
        pipe.hset(keys.package_time_requests(ask.package_id), ask.id, json.dumps(ask.to_dict()))


class TimeRequests:
    def __init__(self, redis: Redis, packages: PackageStore, events: EventLog) -> None:
        self.redis = redis
        self.packages = packages
        self.events = events

    async def request(self, package_id: str, body: ReasonInput, reader: Reader) -> TimeRequest:
        provider_id = reader.provider_id or ""
        await self.packages.require_match(package_id, provider_id)
        reason = body.reason
        ask = TimeRequest(id=new_id("mtr"), package_id=package_id, provider_id=provider_id, requested_by=reader.user_id,
                          reason=reason, requested_at=iso(time.time()))

        async def write(pipe: Pipeline) -> TimeRequest:
            package = await state.load_in(pipe, package_id)
            if package.status != "live":
                raise Conflict(f"The package is {package.status}; its response window is closed.", code="package_not_live")
            # One waiting request per provider: each one emails every broker, so asking again
            # before the broker decides would only repeat the alert.
            if any(a.provider_id == provider_id for a in await waiting_in(pipe, package_id)):
                raise Conflict("Your organisation's request for more time is waiting for the council's decision.",
                               code="request_waiting")
            pipe.multi()
            pipe.hset(keys.package_time_requests(package_id), ask.id, json.dumps(ask.to_dict()))
            self.events.queue(pipe, Event(type="deadline.extension_requested", actor=reader.user_id, package_id=package_id, data={
                "package_id": package_id, "request_id": ask.id, "provider_id": provider_id, "reason": reason,
                "deadline": package.deadline,
            }))
            return ask

        return await transact(self.redis, [keys.package(package_id), keys.package_time_requests(package_id)], write)

    async def refuse(self, package_id: str, request_id: str, body: ReasonInput, actor: str) -> TimeRequest:
        reason = body.reason

        async def write(pipe: Pipeline) -> TimeRequest:
            package = await state.load_in(pipe, package_id)
            raw = await pipe.hget(keys.package_time_requests(package_id), request_id)
            if raw is None:
                raise NotFound("No such request for more time.")
            ask = TimeRequest.from_dict(json.loads(raw))
            if ask.status != "requested":
                raise Conflict(f"This request is already {ask.status}.", code="already_decided")
            leaked = quotes_private(reason, package)
            if leaked:  # the reason goes to the provider, before any award
                raise Invalid({"reason": f"quotes the package's {leaked}; providers must not see it before award"})
            ask.status, ask.decided_at, ask.decided_by, ask.decision_reason = "refused", iso(time.time()), actor, reason
            pipe.multi()
            pipe.hset(keys.package_time_requests(package_id), request_id, json.dumps(ask.to_dict()))
            self.events.queue(pipe, Event(type="deadline.extension_refused", actor=actor, package_id=package_id,
                                          audience=[ask.provider_id], data={
                "package_id": package_id, "request_id": request_id, "provider_id": ask.provider_id, "reason": reason,
                "deadline": package.deadline,
            }))
            return ask

        return await transact(self.redis, [keys.package(package_id), keys.package_time_requests(package_id)], write)

    async def list(self, package_id: str, reader: Reader) -> list[dict[str, Any]]:
        if reader.is_broker:
            await self.packages.load(package_id)
        else:
            await self.packages.require_match(package_id, reader.provider_id or "")
        raws = await self.redis.hvals(keys.package_time_requests(package_id))
        asks = sorted((TimeRequest.from_dict(json.loads(r)) for r in raws), key=lambda a: (a.requested_at, a.id))
        return [a.to_dict() for a in asks if reader.is_broker or a.provider_id == reader.provider_id]
