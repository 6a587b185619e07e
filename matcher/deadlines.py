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
from typing import Any

from arq.connections import ArqRedis
from redis.asyncio.client import Pipeline

from config import Settings, keys
from core import Event, iso, parse_iso
from matcher import eligibility, more_time, reminders, state
from matcher.errors import BrokerageError, Conflict, Invalid
from matcher.model import TIERS, Package
from matcher.packages import PackageStore
from matcher.questions import quotes_private
from matcher.tx import transact

log = logging.getLogger("matcher.deadlines")


class TooEarly(BrokerageError):
    """The job ran before the deadline (clocks of two machines disagree): run it again later."""

    def __init__(self, remaining_s: float) -> None:
        super().__init__(f"deadline is {remaining_s:.3f}s away", code="too_early")
        self.remaining_s = remaining_s
JOB_NAME = "package_deadline"
MAX_EXTENSION_S = 30 * 86400  # a window moved further than this is a typo, not a plan


async def schedule_window(arq: ArqRedis, settings: Settings, package: Package) -> None:
    """The jobs of the package's current window: its deadline, and the reminder before it.
    A job id per (package, wave) makes this idempotent."""
    await arq.enqueue_job(
        JOB_NAME, package.id, package.wave, package.extension,
        _job_id=keys.deadline_job_id(package.id, package.wave, package.extension),
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
                if await self.expire(package_id, package.wave, package.extension):
                    closed += 1
            except TooEarly:
                continue  # a new window opened since the read; its own job will close it
        return closed

    async def expire(self, package_id: str, wave: int, extension: int = 0) -> str | None:
        """End the window (`wave`, `extension`); returns the new status, or None if nothing was
        due. The job of a deadline a broker has since moved finds another extension: no-op."""
        package = await self.packages.load(package_id)
        next_wave: list[eligibility.Candidate] = []
        next_tier: str | None = None
        if self.settings.release == "tiered":
            next_tier, next_wave = await self._next_tier(package)
        fits = await self.packages.round_fits(package, next_wave)

        async def write(pipe: Pipeline) -> tuple[str, Package] | None:
            current = await state.load_in(pipe, package_id)
            if current.status != "live" or current.wave != wave or current.extension != extension:
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
                self._queue_release(pipe, current, next_tier, next_wave, now, "system", fits)
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

    def _queue_release(self, pipe: Pipeline, current: Package, tier: str, wave: list[eligibility.Candidate],
                       now: float, actor: str, fits: dict[str, dict[str, Any] | None] | None = None) -> None:
        """Queue the next wave: the tier released, a new window from now, its matches told."""
        current.wave += 1
        current.extension = 0
        current.released_tiers = [*current.released_tiers, *_tiers_through(current.released_tiers, tier)]
        current.deadline = iso(math.ceil(now + self.settings.window_s(current.urgency)))
        current.matched += len(wave)
        pipe.set(keys.package(current.id), json.dumps(current.to_dict()))
        pipe.zadd(keys.DEADLINES, {current.id: parse_iso(current.deadline)})
        self.events.queue(pipe, Event(type="package.wave_released", actor=actor, package_id=current.id, data={
            "package_id": current.id, "wave": current.wave, "tier": tier,
            "matched": len(wave), "deadline": current.deadline,
            "provider_ids": [c.provider.id for c in wave],
        }))
        self.packages.queue_wave(pipe, current, wave, actor, fits)

    async def extend(self, package_id: str, new_deadline: float, reason: str, actor: str) -> Package:
        """Move the open window's deadline later. The window becomes (wave, extension + 1): the
        jobs of the old deadline and reminder find another extension and do nothing, the new
        ones (own job ids) fire once. Matched providers are told (`deadline.extended`)."""
        reason = reason.strip() if isinstance(reason, str) else ""
        if not reason:
            raise Invalid({"reason": "is required: say why the deadline moves"})
        if len(reason) > 500:
            raise Invalid({"reason": "must be at most 500 characters"})
        if new_deadline > time.time() + MAX_EXTENSION_S:
            raise Invalid({"deadline": "must be within 30 days from now"})

        async def write(pipe: Pipeline) -> Package:
            current = await state.load_in(pipe, package_id)
            if current.status != "live":
                raise Conflict(f"The package is {current.status}: only a live package's window can be extended.", code="package_not_live")
            old = current.deadline
            leaked = quotes_private(reason, current)
            if leaked:  # the reason goes to every matched provider, before any award
                raise Invalid({"reason": f"quotes the package's {leaked}; providers must not see it before award"})
            if math.ceil(new_deadline) <= parse_iso(old):
                raise Invalid({"deadline": f"must be later than the current deadline, {old}"})
            matched = await pipe.hkeys(keys.package_matches(package_id))
            waiting = await more_time.waiting_in(pipe, package_id)
            current.extension += 1
            current.deadline = iso(math.ceil(new_deadline))
            pipe.multi()
            pipe.set(keys.package(package_id), json.dumps(current.to_dict()))
            pipe.zadd(keys.DEADLINES, {package_id: parse_iso(current.deadline)})
            data = {"package_id": package_id, "deadline": current.deadline, "previous_deadline": old,
                    "wave": current.wave, "reason": reason}
            # The reason goes to the matched providers too (the page says so): it is the
            # broker's note to them, not the service user's details.
            self.events.queue(pipe, Event(type="deadline.extended", actor=actor, package_id=package_id, audience=matched, data=data))
            more_time.queue_granted(pipe, waiting, current.deadline, reason, actor)
            return current

        current = await transact(self.redis, [keys.package(package_id), keys.package_time_requests(package_id)], write)
        await schedule_window(self.arq, self.settings, current)
        log.info("package %s window %d deadline moved (extension %d)", package_id, current.wave, current.extension)
        return current

    async def release_next_tier(self, package_id: str, actor: str) -> Package:
        """Release the next tier now instead of waiting for the window to end (tiered mode)."""
        if self.settings.release != "tiered":
            raise Conflict("Every eligible provider is told at once (RELEASE=all): there is no next tier.", code="not_tiered")
        package = await self.packages.load(package_id)
        next_tier, next_wave = await self._next_tier(package)
        fits = await self.packages.round_fits(package, next_wave)

        async def write(pipe: Pipeline) -> Package:
            current = await state.load_in(pipe, package_id)
            if current.status != "live":
                raise Conflict(f"The package is {current.status}: only a live package can reach more providers.", code="package_not_live")
            if next_tier is None or current.released_tiers != package.released_tiers:
                raise Conflict("No tier is left with anyone eligible in it.", code="no_tier_left")
            pipe.multi()
            self._queue_release(pipe, current, next_tier, next_wave, time.time(), actor, fits)
            return current

        current = await transact(self.redis, [keys.package(package_id)], write)
        await schedule_window(self.arq, self.settings, current)
        return current

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
