"""SMS fallback: an amber package that no user of a matched provider has `seen` within
SMS_FALLBACK_S is texted to that provider's users who have a phone.

The check runs as an arq job per (package, provider), armed when the match is planned. The
text uses the `package.matched` idempotency key on the sms channel, so a user whose
preferences already sent an SMS for this match gets no second one.
"""

from __future__ import annotations

from datetime import datetime, timezone

from core import Event
from matcher import PackageStore
from notifier.planner import Planner, plan_for_user


class FallbackCheck:
    def __init__(self, packages: PackageStore, planner: Planner) -> None:
        self.packages = packages
        self.planner = planner

    async def run(self, package_id: str, provider_id: str) -> str:
        package = await self.packages.find(package_id)
        if package is None:
            return "gone"
        if package.status != "live":
            return "closed"
        if await self.packages.seen_by(package_id, provider_id):
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
