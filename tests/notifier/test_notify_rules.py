"""Pure rules: quiet hours across midnight and DST changes, channels, message content."""

from __future__ import annotations

from datetime import datetime, timezone

from notifier.quiet import quiet_until
from notifier.render import Renderer, sms_segments
from notifier.rules import channels_for, hold_until

LONDON_NIGHT = {"start": "22:00", "end": "07:00", "tz": "Europe/London"}


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


def test_quiet_hours_across_midnight_in_winter_and_summer() -> None:
    assert quiet_until(LONDON_NIGHT, utc(2026, 1, 14, 21, 59)) is None
    assert quiet_until(LONDON_NIGHT, utc(2026, 1, 14, 22, 0)) == utc(2026, 1, 15, 7, 0)
    assert quiet_until(LONDON_NIGHT, utc(2026, 1, 15, 3, 0)) == utc(2026, 1, 15, 7, 0)
    assert quiet_until(LONDON_NIGHT, utc(2026, 1, 15, 7, 0)) is None
    # BST: 22:00 London is 21:00 UTC
    assert quiet_until(LONDON_NIGHT, utc(2026, 7, 1, 21, 0)) == utc(2026, 7, 2, 6, 0)
    assert quiet_until(LONDON_NIGHT, utc(2026, 7, 1, 20, 59)) is None


def test_quiet_hours_on_dst_change_nights() -> None:
    # 29 Mar 2026: clocks go forward at 01:00 UTC; 07:00 BST is 06:00 UTC.
    assert quiet_until(LONDON_NIGHT, utc(2026, 3, 28, 23, 30)) == utc(2026, 3, 29, 6, 0)
    assert quiet_until(LONDON_NIGHT, utc(2026, 3, 29, 5, 59)) == utc(2026, 3, 29, 6, 0)
    assert quiet_until(LONDON_NIGHT, utc(2026, 3, 29, 6, 0)) is None
    # 25 Oct 2026: clocks go back at 01:00 UTC; 22:00 BST the night before is 21:00 UTC, 07:00 GMT is 07:00 UTC.
    assert quiet_until(LONDON_NIGHT, utc(2026, 10, 24, 21, 0)) == utc(2026, 10, 25, 7, 0)
    assert quiet_until(LONDON_NIGHT, utc(2026, 10, 25, 0, 30)) == utc(2026, 10, 25, 7, 0)  # 01:30 BST
    assert quiet_until(LONDON_NIGHT, utc(2026, 10, 25, 1, 30)) == utc(2026, 10, 25, 7, 0)  # 01:30 GMT, the second time
    assert quiet_until(LONDON_NIGHT, utc(2026, 10, 25, 6, 59)) == utc(2026, 10, 25, 7, 0)
    assert quiet_until(LONDON_NIGHT, utc(2026, 10, 25, 7, 0)) is None


def test_quiet_hours_within_one_day_other_zones_and_empty() -> None:
    lunch = {"start": "12:00", "end": "13:30", "tz": "Europe/London"}
    assert quiet_until(lunch, utc(2026, 1, 5, 12, 45)) == utc(2026, 1, 5, 13, 30)
    assert quiet_until(lunch, utc(2026, 1, 5, 13, 30)) is None
    assert quiet_until(lunch, utc(2026, 1, 5, 11, 0)) is None
    new_york = {"start": "22:00", "end": "07:00", "tz": "America/New_York"}
    assert quiet_until(new_york, utc(2026, 1, 15, 4, 0)) == utc(2026, 1, 15, 12, 0)
    assert quiet_until({"start": "09:00", "end": "09:00", "tz": "Europe/London"}, utc(2026, 1, 5, 9, 0)) is None
    assert quiet_until(None, utc(2026, 1, 5, 9, 0)) is None


def test_red_always_goes_amber_and_green_are_held() -> None:
    prefs = {"quiet_hours": LONDON_NIGHT}
    night = utc(2026, 1, 15, 3, 0)
    assert hold_until(prefs, "red", night) is None
    assert hold_until(prefs, "amber", night) == utc(2026, 1, 15, 7, 0)
    assert hold_until(prefs, "green", night) == utc(2026, 1, 15, 7, 0)


def test_default_channels_and_preferences() -> None:
    assert channels_for({}, "red") == ["email", "sms"]
    assert channels_for({}, "amber") == ["email"]
    assert channels_for({}, "green") == ["email"]
    assert channels_for({"channels": {"amber": ["ws", "sms"]}}, "amber") == ["sms"]
    assert channels_for({"channels": {"red": ["ws"]}}, "red") == []


def test_messages_say_urgency_deadline_and_link_but_nothing_private() -> None:
    renderer = Renderer("https://hb.example", {"red": 3600, "amber": 86400, "green": 172800})
    ctx = {"package_id": "pkg_0123456789abcdef0123", "urgency": "red", "district": "SG1", "sector": "SG1 4",
           "hours_per_week": 10.5, "deadline": "2026-07-01T09:15:00Z"}
    email = renderer.email("package.matched", ctx)
    assert "RED – respond within 1 hour" in email.text and "RED – respond within 1 hour" in email.html
    assert "Wed 01 Jul 2026, 10:15 BST (UK time)" in email.text
    assert "https://hb.example/provider/packages/pkg_0123456789abcdef0123" in email.text
    winter = renderer.email("package.matched", {**ctx, "urgency": "amber", "deadline": "2026-12-01T09:15:00Z"})
    assert "AMBER – respond within 24 hours" in winter.text and "09:15 GMT" in winter.text
    for event in ("package.matched", "offer.accepted", "offer.declined", "package.closed", "deadline.reminder"):
        text = renderer.sms(event, {**ctx, "reason": "awarded_elsewhere"})
        assert sms_segments(text) <= 2 and text.isascii()
        assert text.endswith("https://hb.example/p/pkg_0123456789abcdef0123")
        assert "SG1 4" in text
    assert "RED - respond within 1 hour" in renderer.sms("package.matched", ctx)
    assert sms_segments("a" * 160) == 1 and sms_segments("a" * 161) == 2 and sms_segments("–" * 71) == 2
