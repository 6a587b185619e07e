"""The event log: every state change is one entry in a Redis Stream.

The global stream `hb:events` feeds live sockets and is trimmed to the retention window;
each package also has its own untrimmed stream, its audit trail. Entry ids of the global
stream are the event ids clients resume from.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from config import keys
from core.time import iso

SYSTEM = "system"


@dataclass
class Event:
    type: str
    data: dict[str, Any]
    actor: str = SYSTEM
    package_id: str | None = None
    # Providers allowed to receive this event; brokers receive every event.
    audience: list[str] = field(default_factory=list)
    at: str = ""
    id: str = ""

    def fields(self) -> dict[str, str]:
        return {
            "type": self.type,
            "at": self.at or iso(time.time()),
            "actor": self.actor,
            "package": self.package_id or "",
            "audience": ",".join(self.audience),
            "data": json.dumps(self.data, separators=(",", ":")),
        }

    @classmethod
    def from_entry(cls, entry_id: str, raw: dict[str, str]) -> Event:
        return cls(
            id=entry_id,
            type=raw["type"],
            at=raw["at"],
            actor=raw.get("actor", SYSTEM),
            package_id=raw.get("package") or None,
            audience=[p for p in raw.get("audience", "").split(",") if p],
            data=json.loads(raw.get("data") or "{}"),
        )


class EventLog:
    def __init__(self, redis: Redis, retention_s: int) -> None:
        self.redis = redis
        self.retention_s = retention_s

    def queue(self, pipe: Pipeline, event: Event) -> None:
        """Queue the event's append inside a MULTI, so it lands with the change it records."""
        entry = event.fields()
        oldest_kept_ms = int((time.time() - self.retention_s) * 1000)
        pipe.xadd(keys.EVENTS, entry, minid=str(oldest_kept_ms), approximate=True)
        if event.package_id:
            pipe.xadd(keys.package_history(event.package_id), entry)

    async def append(self, *events: Event) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            for event in events:
                self.queue(pipe, event)
            await pipe.execute()

    async def history(self, package_id: str) -> list[Event]:
        entries = await self.redis.xrange(keys.package_history(package_id))
        return [Event.from_entry(entry_id, raw) for entry_id, raw in entries]

    async def after(self, after_id: str, count: int = 1000) -> list[Event]:
        """Events strictly after `after_id`, oldest first."""
        entries = await self.redis.xrange(keys.EVENTS, min=f"({after_id}", count=count)
        return [Event.from_entry(entry_id, raw) for entry_id, raw in entries]

    async def recent(self, count: int) -> list[Event]:
        """The last `count` events, oldest first (what a page shows before it goes live)."""
        entries = await self.redis.xrevrange(keys.EVENTS, count=count)
        return [Event.from_entry(entry_id, raw) for entry_id, raw in reversed(entries)]

    async def oldest_id(self) -> str | None:
        entries = await self.redis.xrange(keys.EVENTS, count=1)
        return entries[0][0] if entries else None

    async def last_id(self) -> str:
        entries = await self.redis.xrevrange(keys.EVENTS, count=1)
        return entries[0][0] if entries else "0-0"
