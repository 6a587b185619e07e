"""Phone numbers as people type them, stored as E.164.

UK numbers come in many forms (07700 900123, +44 7700 900123, 0044 7700 900123,
(07700) 900-123); all become +447700900123. Any other number must already be E.164.
"""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[ \-().]")
# ASCII digits only: \d would let full-width digits through to the SMS provider.
_E164 = re.compile(r"\+[1-9][0-9]{7,14}")
# A UK national significant number after the 0 or +44: 10 digits (9 for a few old ranges).
_UK_NSN = re.compile(r"[1-9][0-9]{8,9}")


def normalise_phone(text: str) -> str | None:
    """The E.164 form of `text`, or None when it is not a phone number we can text."""
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        return None  # a newline or tab is a pasted mistake, not part of a number
    compact = _SEPARATORS.sub("", text.strip(" "))
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if compact.startswith("+44"):
        rest = compact[3:]
        if rest.startswith("0"):  # "+44 (0)7700 900123"
            rest = rest[1:]
        return "+44" + rest if _UK_NSN.fullmatch(rest) else None
    if compact.startswith("0"):
        rest = compact[1:]
        return "+44" + rest if _UK_NSN.fullmatch(rest) else None
    return compact if _E164.fullmatch(compact) else None
