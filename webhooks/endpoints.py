"""The endpoints an admin registered: where to send which events, and the secret to sign with.

The secret is shown once, when the endpoint is registered; after that only the worker reads
it, to sign. Registering starts from the newest event: an endpoint is not sent the past."""

from __future__ import annotations

import base64
import secrets
import time

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from config import keys
from core import AuditNote, EventLog, iso, new_id, watched
from webhooks.errors import UnknownEndpoint, busy
from webhooks.model import Endpoint


class Endpoints:
    def __init__(self, redis: Redis, events: EventLog) -> None:
        self.redis = redis
        self.events = events

    async def register(self, url: str, event_types: list[str], note: AuditNote) -> Endpoint:
        """A new endpoint, made by `note`'s actor and audited in the same transaction."""
        endpoint = Endpoint(
            id=new_id("whk"), url=url, events=tuple(dict.fromkeys(event_types)),
            secret="whsec_" + base64.b64encode(secrets.token_bytes(32)).decode(),
            created_at=iso(time.time()), created_by=note.actor_id, start_after=await self.events.last_id(),
        )
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(keys.webhook(endpoint.id), mapping=endpoint.to_hash())
            pipe.zadd(keys.WEBHOOKS, {endpoint.id: time.time()})
            note.queue(pipe, "webhook.registered", "webhook", endpoint.id, endpoint.url, None, endpoint.public())
            await pipe.execute()
        return endpoint

    async def all(self) -> list[Endpoint]:
        ids = await self.redis.zrange(keys.WEBHOOKS, 0, -1)
        if not ids:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for endpoint_id in ids:
                pipe.hgetall(keys.webhook(endpoint_id))
            found = await pipe.execute()
        return [Endpoint.from_hash(raw) for raw in found if raw]

    async def find(self, endpoint_id: str) -> Endpoint | None:
        raw = await self.redis.hgetall(keys.webhook(endpoint_id))
        return Endpoint.from_hash(raw) if raw else None

    async def get(self, endpoint_id: str) -> Endpoint:
        endpoint = await self.find(endpoint_id)
        if endpoint is None:
            raise UnknownEndpoint(endpoint_id)
        return endpoint

    async def delete(self, endpoint_id: str, note: AuditNote) -> Endpoint:
        """Stop sending to the endpoint, audited in the same transaction (WATCHed: of two
        admins deleting it at once, one deletes it and the other is told it is gone). Its
        waiting deliveries are dropped by the lanes that hold them (they find the endpoint
        gone); its log expires with the deliveries."""

        async def write(pipe: Pipeline) -> Endpoint:
            raw = await pipe.hgetall(keys.webhook(endpoint_id))
            if not raw:
                raise UnknownEndpoint(endpoint_id)
            endpoint = Endpoint.from_hash(raw)
            pipe.multi()
            pipe.delete(keys.webhook(endpoint_id))
            pipe.zrem(keys.WEBHOOKS, endpoint_id)
            note.queue(pipe, "webhook.deleted", "webhook", endpoint.id, endpoint.url, endpoint.public(), None)
            return endpoint

        return await watched(self.redis, [keys.webhook(endpoint_id)], write, busy)
