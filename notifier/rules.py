"""Who is told what, on which channel, and when: the contract's notification rules."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from accounts import DEFAULT_CHANNELS, effective_preferences
from notifier.quiet import quiet_until

# Events that reach provider users by email/SMS (the socket carries them regardless).
PROVIDER_EVENTS = ("package.matched", "offer.accepted", "offer.declined", "package.closed", "deadline.reminder")
# Events that alert every broker by email/SMS: a package needs a person to act on it.
BROKER_EVENTS = ("package.unplaced", "package.awaiting_award")
# An unseen amber package is texted after SMS_FALLBACK_S (see notifier/fallback.py).
FALLBACK_URGENCIES = ("amber",)
# Urgencies that quiet hours never hold back.
ALWAYS_NOW = ("red",)
SENDABLE = ("email", "sms", "push")


def channels_for(preferences: dict[str, Any], urgency: str) -> list[str]:
    """The message channels (not `ws`) this user wants for this urgency."""
    chosen = effective_preferences(preferences)["channels"].get(urgency, DEFAULT_CHANNELS.get(urgency, []))
    return [c for c in SENDABLE if c in chosen]


def address_for(preferences: dict[str, Any], account_email: str, channel: str) -> str | None:
    """Where the channel reaches the user (push: per device, see the planner)."""
    if channel == "push":
        return "push"
    prefs = effective_preferences(preferences)
    if channel == "sms":
        return prefs.get("phone") or None
    return prefs.get("email") or account_email or None


def hold_until(preferences: dict[str, Any], urgency: str, now: datetime) -> datetime | None:
    """When quiet hours end, if they hold this message back now; red always goes at once."""
    if urgency in ALWAYS_NOW:
        return None
    return quiet_until(effective_preferences(preferences).get("quiet_hours"), now)
