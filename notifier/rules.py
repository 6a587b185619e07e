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
# Before and after the award (issue 15): who is told depends on which side acted.
PLACEMENT_EVENTS = (
    "question.asked", "question.answered", "deadline.extension_requested", "deadline.extension_refused",
    "variation.proposed", "variation.accepted", "variation.declined",
)
# Alert SMS that carry a reply code (NO/MORE by text): the package is still open to the provider.
REPLY_CODE_EVENTS = ("package.matched", "deadline.reminder")
# The record id of an event told more than once per package: one message per question, request or variation.
ITEM_FIELDS = ("question_id", "request_id", "variation_id")
# An unseen amber package is texted after SMS_FALLBACK_S (see notifier/fallback.py).
FALLBACK_URGENCIES = ("amber",)
# Urgencies that quiet hours never hold back.
ALWAYS_NOW = ("red",)
SENDABLE = ("email", "sms", "push")


def told(event_type: str, data: dict[str, Any]) -> tuple[bool, bool]:
    """(the event's provider audience is told, every broker is told) by email/SMS."""
    if event_type in PROVIDER_EVENTS:
        return True, False
    if event_type in BROKER_EVENTS:
        return False, True
    if event_type in ("question.asked", "deadline.extension_requested"):
        return False, True
    if event_type in ("question.answered", "deadline.extension_refused"):
        return True, False
    if event_type in ("variation.proposed", "variation.accepted", "variation.declined"):
        proposed_by = data.get("proposed_by") or (data.get("variation") or {}).get("proposed_by")
        if event_type == "variation.proposed":
            broker_acted = proposed_by == "broker"
        elif event_type == "variation.accepted" and data.get("auto"):
            broker_acted = False  # the flex accepted it: brokers must still hear (Hertfordshire)
        else:
            broker_acted = proposed_by == "provider"  # the broker decided a provider's proposal
        return broker_acted, not broker_acted
    return False, False


def item_key(event_type: str, data: dict[str, Any]) -> str:
    """The idempotency key's event part: per question / request / variation where there can be several."""
    nested = data.get("variation") or {}
    for name in ITEM_FIELDS:
        item = data.get(name) or (nested.get("id") if name == "variation_id" else None)
        if item:
            return f"{event_type}:{item}"
    return event_type


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
