"""Waiting in tests: every wait raises with a clear message when it times out, and absence
is proved from the service's own records (the event log, the notifier's consumer group,
arq's job results), never by sleeping and hoping.

The event log is read straight from Redis (`hb:events`) as the service writes it; a test
that must show something did NOT happen waits for a record that can only exist after the
decision was made (a later event, the consumer group having acknowledged everything, the
deciding job's result) and then looks at the log.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

import redis.asyncio as aioredis
from arq.jobs import Job, JobStatus

from config import keys


class WaitTimeout(AssertionError):
    """A condition a test waited for never held (an AssertionError: pytest shows it as a failure)."""


async def eventually(check: Callable[[], Awaitable[Any]], what: str | None = None, timeout: float = 30.0, every: float = 0.2) -> Any:
    """Poll `check` until it returns something truthy and return that; raise WaitTimeout
    naming `what` and the last value seen if it never does (generous: the machine is shared)."""
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise WaitTimeout(f"{what or getattr(check, '__qualname__', 'condition')}: not so within {timeout:g}s; last seen: {_short(result)}")
        await asyncio.sleep(every)


def _short(value: Any, limit: int = 1500) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


@dataclass(frozen=True)
class Logged:
    """One entry of the global event log, as the service wrote it."""

    id: str
    type: str
    package_id: str | None
    audience: list[str]
    data: dict[str, Any]


class EventLogReader:
    """Reads `hb:events`, the notifier's consumer group on it, and arq's job records."""

    def __init__(self, redis_url: str) -> None:
        self.redis = aioredis.from_url(redis_url, decode_responses=True)
        self.arq = aioredis.from_url(redis_url)  # arq's records are pickled bytes

    async def aclose(self) -> None:
        await self.redis.aclose()
        await self.arq.aclose()

    async def __aenter__(self) -> EventLogReader:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()

    async def events(self, after: str = "-", package_id: str | None = None) -> list[Logged]:
        entries = await self.redis.xrange(keys.EVENTS, min=after if after == "-" else f"({after}")
        found = [Logged(entry_id, raw["type"], raw.get("package") or None,
                        [p for p in raw.get("audience", "").split(",") if p], json.loads(raw.get("data") or "{}"))
                 for entry_id, raw in entries]
        return [e for e in found if package_id is None or e.package_id == package_id]

    async def last_id(self) -> str:
        entries = await self.redis.xrevrange(keys.EVENTS, count=1)
        return entries[0][0] if entries else "0-0"

    async def wait_for_event(self, type: str, package_id: str | None = None, timeout: float = 30.0) -> Logged:
        async def found() -> Logged | None:
            return next((e for e in await self.events(package_id=package_id) if e.type == type), None)

        return await eventually(found, f"event {type} for {package_id or 'any package'} in the log", timeout)

    async def notifier_caught_up(self, timeout: float = 30.0) -> str:
        """Wait until the notifier's consumer group has been handed and has acknowledged
        every event logged so far: whatever the workers plan for those events (records,
        delivery jobs, SMS fallback checks) is then written. Returns the last such id."""
        upto = await self.last_id()

        async def done() -> bool:
            groups = await self.redis.xinfo_groups(keys.EVENTS)
            group = next((g for g in groups if g["name"] == keys.NOTIFY_GROUP), None)
            return group is not None and group["pending"] == 0 and _stream_key(group["last-delivered-id"]) >= _stream_key(upto)

        await eventually(done, f"the notifier consumer group acknowledging every event up to {upto}", timeout)
        return upto

    async def job(self, job_id: str) -> Job:
        return Job(job_id, self.arq)  # type: ignore[arg-type]  # arq's Job only reads plain keys

    async def job_finished(self, job_id: str, timeout: float = 30.0) -> Any:
        """Wait until arq has recorded the job's result; returns what the job returned."""
        job = await self.job(job_id)

        async def complete() -> bool:
            return await job.status() == JobStatus.complete

        await eventually(complete, f"arq job {job_id} finishing", timeout)
        info = await job.result_info()
        assert info is not None and info.success, f"arq job {job_id} failed: {info}"
        return info.result

    async def job_status(self, job_id: str) -> JobStatus:
        return await (await self.job(job_id)).status()

    async def jobs_idle(self, prefix: str = "", timeout: float = 60.0) -> None:
        """Wait until arq holds no job whose id starts with `prefix` queued (due or
        deferred) or running."""
        busy: list[str] = []

        async def idle() -> bool:
            queued = [j.decode() for j in await self.arq.zrange("arq:queue", 0, -1)]
            running = [k.decode().removeprefix("arq:in-progress:") async for k in self.arq.scan_iter(f"arq:in-progress:{prefix}*", count=500)]
            busy[:] = [j for j in [*queued, *running] if j.startswith(prefix)]
            return not busy

        try:
            await eventually(idle, f"no arq job {prefix}* queued or running", timeout)
        except WaitTimeout as exc:
            raise WaitTimeout(f"{exc}; still there: {_short(busy)}") from None


def _stream_key(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)
