"""Deadline reminders: at REMINDER_AT of each response window, matched providers that have
neither offered nor declined get a `deadline.reminder` event (and, through the notifier,
their email/SMS).

A deferred arq job per (package, wave), scheduled alongside the deadline job. The event is
appended in a WATCHed transaction together with a per-(package, wave) marker, so a job that
runs twice (retry, recovery, two workers) reminds once.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone

from arq.connections import ArqRedis
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from config import Settings, keys
from core import Event, EventLog, parse_iso
from matcher.model import Package
from matcher.state import load_in
from matcher.tx import transact

log = logging.getLogger("matcher.reminders")
JOB_NAME = "deadline_reminder"


def remind_at(settings: Settings, package: Package) -> float:
    deadline = parse_iso(package.deadline)
    return deadline - (1 - settings.reminder_at) * settings.window_s(package.urgency)


async def schedule(arq: ArqRedis, settings: Settings, package: Package) -> None:
    """Enqueue the reminder of the package's current window; idempotent by job id."""
    await arq.enqueue_job(
        JOB_NAME, package.id, package.wave, package.extension,
        _job_id=keys.reminder_job_id(package.id, package.wave, package.extension),
        _defer_until=datetime.fromtimestamp(remind_at(settings, package), timezone.utc),
    )


class Reminders:
    def __init__(self, redis: Redis, events: EventLog) -> None:
        self.redis = redis
        self.events = events

    async def remind(self, package_id: str, wave: int, extension: int = 0) -> list[str]:
        """Remind the silent providers of this window; returns who was reminded. A window is
        (wave, extension): the reminder of a deadline a broker has since moved does nothing."""
        done_key = keys.reminder_done(package_id, wave, extension)

        async def write(pipe: Pipeline) -> list[str]:
            if await pipe.exists(done_key):
                return []
            package = await load_in(pipe, package_id)
            if package.status != "live" or package.wave != wave or package.extension != extension:
                return []
            matched = await pipe.hkeys(keys.package_matches(package_id))
            responded = set(await pipe.hkeys(keys.package_responses(package_id)))
            silent = [p for p in matched if p not in responded]
            pipe.multi()
            pipe.set(done_key, "1", ex=keys.REMINDER_DONE_TTL_S)
            if silent:
                self.events.queue(pipe, Event(type="deadline.reminder", package_id=package_id, audience=silent, data={
                    "package_id": package_id, "deadline": package.deadline, "wave": wave,
                }))
            return silent

        keys_watched = [keys.package(package_id), keys.package_responses(package_id), done_key]
        silent = await transact(self.redis, keys_watched, write)
        if silent:
            log.info("package %s window %d: reminded %d silent providers", package_id, wave, len(silent))
        return silent


async def package_of(redis: Redis, package_id: str) -> Package | None:
    raw = await redis.get(keys.package(package_id))
    return Package.from_dict(json.loads(raw)) if raw else None


__all__ = ["JOB_NAME", "Reminders", "package_of", "remind_at", "schedule"]
