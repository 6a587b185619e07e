"""SMS fallback: an amber package that no user of a matched provider has `seen` within
SMS_FALLBACK_S is texted to that provider's users who have a phone.

The check runs as an arq job per (package, provider), armed when the match is planned. The
text uses the `package.matched` idempotency key on the sms channel, so a user whose
preferences already sent an SMS for this match gets no second one.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

from redis.asyncio import Redis

from config import keys
from matcher.model import Package
from notifier.planner import Planner, plan_for_user
from realtime.events import Event


class FallbackCheck:
    def __init__(self, redis: Redis, planner: Planner) -> None:
        self.redis = redis
        self.planner = planner

    async def run(self, package_id: str, provider_id: str) -> str:
        raw = await self.redis.get(keys.package(package_id))
        if raw is None:
            return "gone"
        package = Package.from_dict(json.loads(raw))
        if package.status != "live":
            return "closed"
        if await self.redis.hexists(keys.package_seen(package_id), provider_id):
            return "seen"
        event = Event(type="package.matched", package_id=package_id, audience=[provider_id],
                      data={"provider_id": provider_id, "fallback": True})
        now = datetime.now(timezone.utc)
        queued = 0
        for user in await self.planner.accounts.users_of_provider(provider_id):
            for note in plan_for_user(event, package, user, now, channels=["sms"]):
                note.context["fallback"] = True
                queued += await self.planner.submit(note)
        return f"texted {queued}"
