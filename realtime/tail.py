"""One reader per process tails the event stream, and one listener hears revoked sessions;
what a process does with each event or revocation is its subclass's business (the web
process's `Hub` queues to per-socket pumps, the realtime process's `Broadcaster` writes
straight to the sockets)."""

from __future__ import annotations

import asyncio
import logging

from redis.asyncio import Redis
from redis.exceptions import RedisError

from accounts import AccountStore
from config import is_outage, keys, outage
from core import Event

log = logging.getLogger("realtime.tail")
BLOCK_MS = 5000
# How often each process asks whether its sockets' sessions still exist (see check_sessions).
SESSION_CHECK_S = 10.0


class StreamTail:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self.last_id = "$"
        self.dispatched = 0

    def dispatch(self, event: Event) -> None:
        raise NotImplementedError

    def revoke(self, token_hash: str) -> None:
        raise NotImplementedError

    def token_hashes(self) -> set[str]:
        """The sessions (token hashes) this process's open sockets were opened with."""
        raise NotImplementedError

    async def check_sessions(self, accounts: AccountStore) -> int:
        """Close the sockets whose session is gone; returns how many sessions were. A session
        that expires publishes nothing, and a revocation published while this process's
        pub/sub connection was down is never heard: without this, such a socket would carry
        events for as long as it stayed open."""
        held = sorted(self.token_hashes())
        gone = set(held) - await accounts.live_sessions(held)
        for digest in gone:
            self.revoke(digest)
        return len(gone)

    async def check_sessions_forever(self, accounts: AccountStore, every_s: float = SESSION_CHECK_S) -> None:
        while True:
            await asyncio.sleep(every_s)
            try:
                await self.check_sessions(accounts)
            except (RedisError, OSError) as exc:
                outage.REDIS.failed(exc, "session check")  # checked again next time

    async def start_position(self) -> None:
        entries = await self.redis.xrevrange(keys.EVENTS, count=1)
        self.last_id = entries[0][0] if entries else "0-0"

    async def run(self) -> None:
        # Where start_position() left off if it ran before the server took connections:
        # a second look would skip what was appended in between.
        if self.last_id == "$":
            await self.start_position()
        while True:
            try:
                batches = await self.redis.xread({keys.EVENTS: self.last_id}, block=BLOCK_MS, count=500)
            except (RedisError, OSError) as exc:
                if not is_outage(exc):
                    log.warning("event stream read failed (%s); retrying", type(exc).__name__)
                outage.REDIS.failed(exc, "event reader")
                await asyncio.sleep(1)
                continue
            outage.REDIS.succeeded()  # this loop is the process's steady probe of Redis
            for _stream, entries in batches:
                for entry_id, raw in entries:
                    self.last_id = entry_id
                    self.dispatched += 1
                    self.dispatch(Event.from_entry(entry_id, raw))

    async def watch_revocations(self) -> None:
        while True:
            try:
                async with self.redis.pubsub() as pubsub:
                    await pubsub.subscribe(keys.REVOKED_SESSIONS)
                    async for item in pubsub.listen():
                        if item.get("type") == "message":
                            self.revoke(str(item["data"]))
            except (RedisError, OSError) as exc:
                if not is_outage(exc):
                    log.warning("revocation listener failed (%s); retrying", type(exc).__name__)
                outage.REDIS.failed(exc, "revocation listener")
                await asyncio.sleep(1)
