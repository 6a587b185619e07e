"""Response deadlines: what happens when a package's window ends.

A deferred arq job per (package, wave) fires at the deadline. The transition itself is a
WATCHed transaction that re-checks status and wave, so a job that runs twice (a retry, a
recovered job, a sweep) changes nothing the second time. The `hb:deadlines` zset is the
source of truth for open windows: a worker reconciles it on start and sweeps it every
minute, so a job lost with a crashed process is recovered.
"""

from __future__ import annotations

import json
import logging
import math
import time
from datetime import datetime, timezone

from arq.connections import ArqRedis
from redis.asyncio.client import Pipeline

from config import Settings, keys
from core import Event, iso, parse_iso
from matcher import eligibility, reminders, state
from matcher.errors import BrokerageError
from matcher.model import TIERS, Package
from matcher.packages import PackageStore
from matcher.tx import transact

log = logging.getLogger("matcher.deadlines")


class TooEarly(BrokerageError):
    """The job ran before the deadline (clocks of two machines disagree): run it again later."""

    def __init__(self, remaining_s: float) -> None:
        super().__init__(f"deadline is {remaining_s:.3f}s away", code="too_early")
        self.remaining_s = remaining_s
JOB_NAME = "package_deadline"


async def schedule_window(arq: ArqRedis, settings: Settings, package: Package) -> None:
    """The jobs of the package's current window: its deadline, and the reminder before it.
    A job id per (package, wave) makes this idempotent."""
    await arq.enqueue_job(
        JOB_NAME, package.id, package.wave,
        _job_id=keys.deadline_job_id(package.id, package.wave),
        _defer_until=datetime.fromtimestamp(parse_iso(package.deadline), timezone.utc),
    )
    await reminders.schedule(arq, settings, package)


class DeadlineKeeper:
    def __init__(self, packages: PackageStore, arq: ArqRedis) -> None:
        self.packages = packages
        self.arq = arq
        self.redis = packages.redis
        self.settings = packages.settings
        self.events = packages.events

    async def reconcile(self) -> int:
        """Make sure every open window has its job; returns how many windows are open."""
        open_windows = await self.redis.zrange(keys.DEADLINES, 0, -1, withscores=True)
        for package_id, _deadline in open_windows:
            raw = await self.redis.get(keys.package(package_id))
            if raw is not None:
                await schedule_window(self.arq, self.settings, Package.from_dict(json.loads(raw)))
        return len(open_windows)

    async def sweep(self) -> int:
        """Close every window already past its deadline (a backstop for lost jobs)."""
        overdue = await self.redis.zrangebyscore(keys.DEADLINES, 0, time.time())
        closed = 0
        for package_id in overdue:
            raw = await self.redis.get(keys.package(package_id))
            if raw is None:
                await self.redis.zrem(keys.DEADLINES, package_id)
                continue
            package = Package.from_dict(json.loads(raw))
            try:
                if await self.expire(package_id, package.wave):
                    closed += 1
            except TooEarly:
                continue  # a new window opened since the read; its own job will close it
        return closed

    async def expire(self, package_id: str, wave: int) -> str | None:
        """End the window of `wave`; returns the new status, or None if nothing was due."""
        package = await self.packages.load(package_id)
        next_wave: list[eligibility.Candidate] = []
        next_tier: str | None = None
        if self.settings.release == "tiered":
            next_tier, next_wave = await self._next_tier(package)
        fits = await self.packages.round_fits(package, next_wave)

        async def write(pipe: Pipeline) -> tuple[str, Package] | None:
            current = await state.load_in(pipe, package_id)
            if current.status != "live" or current.wave != wave:
                return None
            now = time.time()
            if now < parse_iso(current.deadline):
                raise TooEarly(parse_iso(current.deadline) - now)
            submitted = [o for o in (await state.offers_in(pipe, package_id)).values() if o["status"] == "submitted"]
            matched = await pipe.hkeys(keys.package_matches(package_id))
            pipe.multi()
            if submitted:
                current.status = "awaiting_award"
                pipe.set(keys.package(package_id), json.dumps(current.to_dict()))
                pipe.zrem(keys.DEADLINES, package_id)
                self.events.queue(pipe, Event(type="package.awaiting_award", package_id=package_id, data={
                    "package_id": package_id, "offers": len(submitted), "deadline": current.deadline,
                }))
            elif next_tier is not None and current.released_tiers == package.released_tiers:
                current.wave += 1
                current.released_tiers = [*current.released_tiers, *_tiers_through(current.released_tiers, next_tier)]
                current.deadline = iso(math.ceil(now + self.settings.window_s(current.urgency)))
                current.matched += len(next_wave)
                pipe.set(keys.package(package_id), json.dumps(current.to_dict()))
                pipe.zadd(keys.DEADLINES, {package_id: parse_iso(current.deadline)})
                self.events.queue(pipe, Event(type="package.wave_released", package_id=package_id, data={
                    "package_id": package_id, "wave": current.wave, "tier": next_tier,
                    "matched": len(next_wave), "deadline": current.deadline,
                    "provider_ids": [c.provider.id for c in next_wave],
                }))
                self.packages.queue_wave(pipe, current, next_wave, "system", fits)
            else:
                state.queue_close(pipe, current, "unplaced", "deadline", iso(now))
                self.events.queue(pipe, Event(type="package.unplaced", package_id=package_id, data={
                    "package_id": package_id, "district": current.district, "area": current.area,
                    "urgency": current.urgency, "matched": current.matched,
                }))
                if matched:
                    self.events.queue(pipe, Event(type="package.closed", package_id=package_id, audience=matched, data={
                        "package_id": package_id, "reason": "deadline",
                    }))
            return current.status, current

        result = await transact(self.redis, [keys.package(package_id), keys.package_offers(package_id)], write)
        if result is None:
            return None
        status, current = result
        if status == "live":
            await schedule_window(self.arq, self.settings, current)
        log.info("package %s window %d ended: %s", package_id, wave, status)
        return status

    async def _next_tier(self, package: Package) -> tuple[str | None, list[eligibility.Candidate]]:
        """The next tier with anyone eligible in it, skipping empty ones."""
        already = frozenset((await self.packages.matches(package.id)).keys())
        tiers = eligibility.by_tier(await self.packages.match(package, exclude=already))
        remaining = [t for t in TIERS if t not in package.released_tiers]
        for tier in remaining:
            if tiers[tier]:
                return tier, tiers[tier]
        return None, []


def _tiers_through(released: list[str], tier: str) -> list[str]:
    return [t for t in TIERS[: TIERS.index(tier) + 1] if t not in released]
