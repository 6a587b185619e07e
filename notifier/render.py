"""What a notification says, by email (plain text + HTML) and by SMS.

Only what a provider may see before award goes out: district/sector, hours, urgency and
deadline, never a postcode, name or free text. SMS bodies stay in the GSM-7 alphabet (an en
dash would switch the whole message to UCS-2 and halve its length) and within two segments.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")
SMS_MAX_SEGMENTS = 2
CLOSED_REASONS = {
    "awarded_elsewhere": "awarded to another provider",
    "withdrawn": "withdrawn by the council",
    "deadline": "the response window ended",
}
_GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)


@dataclass(frozen=True)
class Email:
    subject: str
    text: str
    html: str


def duration_words(seconds: int) -> str:
    # Hours, not days: "respond within 24 hours" is how the councils put it.
    for size, unit in ((3600, "hour"), (60, "minute"), (1, "second")):
        if seconds >= size and seconds % size == 0:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return f"{seconds} seconds"


def urgency_words(urgency: str, window_s: int, dash: str = "–") -> str:
    return f"{urgency.upper()} {dash} respond within {duration_words(window_s)}"


def uk_time(iso_text: str, *, short: bool = False) -> str:
    moment = datetime.fromisoformat(iso_text.replace("Z", "+00:00")).astimezone(UK)
    return moment.strftime("%H:%M %a %d %b" if short else "%a %d %b %Y, %H:%M %Z (UK time)")


def sms_segments(text: str) -> int:
    if all(ch in _GSM7 for ch in text):
        return 1 if len(text) <= 160 else math.ceil(len(text) / 153)
    return 1 if len(text) <= 70 else math.ceil(len(text) / 67)


class Renderer:
    def __init__(self, public_url: str, windows_s: dict[str, int]) -> None:
        self.public_url = public_url.rstrip("/")
        self.windows_s = windows_s

    def package_link(self, package_id: str, *, for_broker: bool = False) -> str:
        return f"{self.public_url}/{'broker' if for_broker else 'provider'}/packages/{package_id}"

    def short_link(self, package_id: str) -> str:
        return f"{self.public_url}/p/{package_id}"

    def _headline(self, event: str, ctx: dict[str, Any]) -> str:
        where = ctx.get("sector") or ctx.get("district") or "your area"
        if event == "package.matched":
            hours = ctx.get("hours_per_week")
            return f"New care package in {where}" + (f", {hours:g} h/week" if isinstance(hours, (int, float)) else "")
        if event == "offer.accepted":
            return f"Your offer for the package in {where} was accepted"
        if event == "offer.declined":
            return f"Your offer for the package in {where} was not accepted"
        if event == "package.closed":
            return f"The package in {where} is closed: {CLOSED_REASONS.get(ctx.get('reason', ''), 'closed')}"
        if event == "deadline.reminder":
            return f"Reminder: the package in {where} is waiting for your response"
        if event == "package.unplaced":
            return f"UNPLACED: nobody took the package in {where} by its deadline"
        if event == "package.awaiting_award":
            offers = ctx.get("offers")
            return f"The package in {where} is ready to award" + (f" ({offers} offer{'s' if offers != 1 else ''})" if isinstance(offers, int) else "")
        if event == "question.asked":
            return f"A provider asked a question about the package in {where}"
        if event == "question.answered":
            return f"The council answered a question about the package in {where}"
        if event == "deadline.extension_requested":
            return f"A provider asked for more time on the package in {where}"
        if event == "deadline.extension_refused":
            return f"No more time on the package in {where}: the deadline stands"
        if event == "variation.proposed":
            return f"A change to the package in {where} is proposed"
        if event == "variation.accepted":
            return f"A change to the package in {where} was accepted" + (" within the flex" if ctx.get("auto") else "")
        if event == "variation.declined":
            return f"A change to the package in {where} was declined"
        return f"Update on the package in {where}"

    def email(self, event: str, ctx: dict[str, Any]) -> Email:
        urgency = ctx.get("urgency", "green")
        words = urgency_words(urgency, self.windows_s.get(urgency, 0))
        headline = self._headline(event, ctx)
        link = self.package_link(ctx["package_id"], for_broker=bool(ctx.get("for_broker")))
        lines = [headline + ".", "", f"Urgency: {words}"]
        if ctx.get("deadline") and event in ("package.matched", "deadline.reminder"):
            lines.append(f"Respond by: {uk_time(ctx['deadline'])}")
        lines += ["", f"Open the package: {link}", "", "Sign in to see the details; this message carries none."]
        text = "\n".join(lines) + "\n"
        colour = {"red": "#b00020", "amber": "#b36b00", "green": "#1b6e2d"}.get(urgency, "#333")
        rows = "".join(f"<p>{html.escape(line)}</p>" for line in lines[3:4] if line)
        body = (
            f"<html><body><h2>{html.escape(headline)}</h2>"
            f"<p style=\"color:{colour};font-weight:bold\">{html.escape(words)}</p>{rows}"
            f"<p><a href=\"{html.escape(link, quote=True)}\">Open the package</a></p>"
            "<p>Sign in to see the details; this message carries none.</p></body></html>"
        )
        return Email(subject=f"[{urgency.upper()}] {headline}", text=text, html=body)

    def sms(self, event: str, ctx: dict[str, Any]) -> str:
        urgency = ctx.get("urgency", "green")
        parts = [urgency_words(urgency, self.windows_s.get(urgency, 0), dash="-") + ".", self._headline(event, ctx) + "."]
        if ctx.get("deadline") and event in ("package.matched", "deadline.reminder"):
            parts.append(f"Reply by {uk_time(ctx['deadline'], short=True)}.")
        link = self.package_link(ctx["package_id"], for_broker=True) if ctx.get("for_broker") else self.short_link(ctx["package_id"])
        tail = [link]
        if ctx.get("reply_code"):
            code = ctx["reply_code"]
            tail.append(f"Reply NO {code} <reason> to decline, MORE {code} <reason> for more time.")
        text = " ".join(parts + tail)
        while sms_segments(text) > SMS_MAX_SEGMENTS and len(parts) > 1:
            parts.pop()  # the link and reply code matter most; drop detail first
            text = " ".join(parts + tail)
        return text

    def push(self, event: str, ctx: dict[str, Any], notification_id: str) -> dict[str, Any]:
        """The push payload: what a socket event may show (district/sector, hours, urgency,
        deadline) and where a tap goes; `tag` lets the device replace rather than repeat."""
        urgency = ctx.get("urgency", "green")
        body = urgency_words(urgency, self.windows_s.get(urgency, 0)) + "."
        if ctx.get("deadline") and event in ("package.matched", "deadline.reminder"):
            body += f" Respond by {uk_time(ctx['deadline'], short=True)}."
        for_broker = bool(ctx.get("for_broker"))
        path = f"/{'broker' if for_broker else 'provider'}/packages/{ctx['package_id']}"
        return {
            "id": notification_id, "tag": notification_id, "event": event, "package_id": ctx["package_id"],
            "urgency": urgency, "title": self._headline(event, ctx), "body": body, "url": path,
        }
