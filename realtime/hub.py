"""The web process's fan-out: the stream tail (realtime.tail) hands each event to the
sockets of this process: no per-socket Redis reads, one serialisation per event and
audience. A revoked session's sockets close at once, on whichever process holds them."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis

from core import Event
from realtime.quota import SocketQuota
from realtime.tail import StreamTail

log = logging.getLogger("realtime.hub")
CLOSE_REVOKED = 4401
CLOSE_TOO_SLOW = 4408
# Heartbeats are opt-in (`?heartbeat=1`, as the pages ask): a client that knows the contract's
# message shape alone never sees a message without an event id.
HEARTBEAT_S = 3.0
# Broker events the acting provider's own team sees too, but only on the pages (they ask with
# `?heartbeat=1`): the board shows who in the team offered or declined. A client of the
# contract's feed still gets exactly the provider events the contract lists.
TEAM_ONLY = frozenset({"offer.submitted", "offer.withdrawn", "package.declined"})


def provider_wants(provider_id: str | None, event: Event, pages: bool) -> bool:
    return provider_id is not None and provider_id in event.audience and (pages or event.type not in TEAM_ONLY)


@dataclass(eq=False, slots=True)
class Subscriber:
    """One socket's mailbox: events waiting to be sent, at most `limit` of them.

    A plain list and one waiter future rather than an asyncio.Queue and an asyncio.Event:
    thousands of idle sockets each hold one, and the Queue's deques and Event cost ~3 KB."""

    user_id: str
    is_broker: bool
    provider_id: str | None
    token_hash: str
    limit: int
    pending: list[tuple[str, str]] = field(default_factory=list)
    stopped: bool = False
    stop_code: int = 1000
    stop_reason: str = ""
    waiter: asyncio.Future[None] | None = None
    # The task pumping this mailbox and whether it is in (or waiting to start) a send: once
    # stopped, the pump sends what is pending as far as the client takes it without blocking;
    # a send left stuck on a client that stopped reading is then cancelled.
    task: asyncio.Task[Any] | None = None
    sending: bool = False
    interrupted: bool = False
    pages: bool = False  # asked for heartbeats: one of the service's own pages

    def wants(self, event: Event) -> bool:
        return self.is_broker or provider_wants(self.provider_id, event, self.pages)

    def put(self, event_id: str, text: str) -> bool:
        if len(self.pending) >= self.limit:
            return False
        self.pending.append((event_id, text))
        self.wake()
        return True

    def wake(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    async def wait(self) -> None:
        """Until something is pending, or the subscriber is stopped or woken."""
        if self.pending or self.stopped:
            return
        self.waiter = asyncio.get_running_loop().create_future()
        try:
            await self.waiter
        finally:
            self.waiter = None

    def close(self, code: int, reason: str) -> None:
        if not self.stopped:
            self.stop_code, self.stop_reason = code, reason
            self.stopped = True
            self.wake()
            self.interrupt_soon()

    def interrupt_soon(self) -> None:
        """After the pump's next turn, cancel its send if that turn left it stuck in one."""
        asyncio.get_running_loop().call_soon(self._interrupt)

    def _interrupt(self) -> None:
        if self.sending and self.task is not None and not self.interrupted:
            self.interrupted = True
            self.task.cancel()


def message(event: Event, *, for_broker: bool) -> str:
    data: dict[str, Any] = event.data
    if for_broker and event.audience and "provider_ids" not in data and "provider_id" not in data:
        data = {**data, "provider_ids": event.audience}
    body: dict[str, Any] = {"id": event.id, "type": event.type, "at": event.at, "data": data}
    if for_broker:
        body["actor"] = event.actor  # who did it (a user id, or "system"): the feed names them
    return json.dumps(body, separators=(",", ":"))


_STREAM_ID = re.compile(r"([0-9]{1,20})(?:-([0-9]{1,20}))?")
_U64 = 2**64


def stream_id(text: str) -> tuple[int, int]:
    """An event id as (ms, seq). ASCII digits only and each part below 2**64, as Redis takes
    them: int() alone would pass full-width digits and numbers Redis then refuses."""
    match = _STREAM_ID.fullmatch(text)
    if match is None:
        raise ValueError(f"not an event id: {text[:40]!r}")
    ms, seq = int(match.group(1)), int(match.group(2) or 0)
    if ms >= _U64 or seq >= _U64:
        raise ValueError("event id out of range")
    return ms, seq


class Hub(StreamTail):
    """The web process's fan-out: each socket has a mailbox and a task pumping it."""

    def __init__(self, redis: Redis, send_queue: int, max_per_user: int = 0) -> None:
        super().__init__(redis)
        self.send_queue = send_queue
        self.quota = SocketQuota(max_per_user)
        self.subscribers: set[Subscriber] = set()
        # Who gets a provider's events, so a fan-out visits its audience, not every socket.
        self.brokers: set[Subscriber] = set()
        self.by_provider: dict[str, set[Subscriber]] = {}

    def subscriber(self, user_id: str, is_broker: bool, provider_id: str | None, token_hash: str) -> Subscriber:
        sub = Subscriber(user_id, is_broker, provider_id, token_hash, self.send_queue)
        self.subscribers.add(sub)
        if is_broker:
            self.brokers.add(sub)
        elif provider_id is not None:
            self.by_provider.setdefault(provider_id, set()).add(sub)
        return sub

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self.subscribers.discard(subscriber)
        self.brokers.discard(subscriber)
        if subscriber.provider_id is not None:
            group = self.by_provider.get(subscriber.provider_id)
            if group is not None:
                group.discard(subscriber)
                if not group:
                    del self.by_provider[subscriber.provider_id]

    def dispatch(self, event: Event) -> None:
        if self.brokers:
            self._deliver(event, list(self.brokers), message(event, for_broker=True))
        audience = [s for provider_id in dict.fromkeys(event.audience) for s in self.by_provider.get(provider_id, ())
                    if s.pages or event.type not in TEAM_ONLY]
        if audience:
            self._deliver(event, audience, message(event, for_broker=False))

    @staticmethod
    def _deliver(event: Event, subscribers: list[Subscriber], text: str) -> None:
        for subscriber in subscribers:
            if not subscriber.put(event.id, text):
                subscriber.close(CLOSE_TOO_SLOW, "too far behind; reconnect with ?after=<last event id>")

    def revoke(self, token_hash: str) -> None:
        for subscriber in list(self.subscribers):
            if subscriber.token_hash == token_hash:
                subscriber.close(CLOSE_REVOKED, "signed out")

    def token_hashes(self) -> set[str]:
        return {subscriber.token_hash for subscriber in self.subscribers}
