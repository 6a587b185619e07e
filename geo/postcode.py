"""Shape rules for UK postcodes and the integer key used to find them.

Only the shape is checked here: whether a postcode exists is the index's business, so
that the two failures ("not a postcode" vs "no such postcode") stay distinguishable.
"""

from __future__ import annotations

import re

from .errors import MalformedPostcode

# Outward A9, A99, AA9, AA99, A9A, AA9A; inward 9AA. Matched against the text with all
# whitespace removed, so the inward code is always the last three characters.
_COMPACT = re.compile(r"([A-Z]{1,2}[0-9][0-9A-Z]?)([0-9][A-Z]{2})")
_OUTWARD = re.compile(r"[A-Z]{1,2}[0-9][0-9A-Z]?")
_SPACE = re.compile(r"\s+")


def _compact(text: object) -> str:
    if not isinstance(text, str):
        raise MalformedPostcode(f"a postcode must be text, not {type(text).__name__}")
    if not text.isascii():
        # Before upper(): "ß".upper() is "SS", which could make a postcode out of non-ASCII.
        raise MalformedPostcode(f"{text[:40]!r} is not shaped like a UK postcode")
    # Fast path for the common "SG1 1AA" / "sg11aa" inputs; the regex only when needed.
    s = text.strip().upper().replace(" ", "")
    if not s.isalnum():
        s = _SPACE.sub("", s)
    return s


def split_postcode(text: str) -> tuple[str, str]:
    """' sg11aa ' -> ('SG1', '1AA'), or MalformedPostcode."""
    s = _compact(text)
    if len(s) < 5 or len(s) > 7 or _COMPACT.fullmatch(s) is None:
        raise MalformedPostcode(f"{text[:40]!r} is not shaped like a UK postcode")
    return s[:-3], s[-3:]


def normalise_postcode(text: str) -> str:
    """' sg11aa ' -> 'SG1 1AA'. Lenient about case and whitespace, strict about shape."""
    outward, inward = split_postcode(text)
    return f"{outward} {inward}"


def outward_code(text: str) -> str:
    """'sg1' -> 'SG1': a district (outward code) on its own, not a full postcode."""
    s = _compact(text)
    if len(s) < 2 or len(s) > 4 or _OUTWARD.fullmatch(s) is None:
        raise MalformedPostcode(f"{text[:40]!r} is not shaped like a UK postcode district")
    return s


def postcode_key(outward: str, inward: str) -> int:
    """Integer key of a postcode, ordered like the postcodes themselves.

    The postcode is laid out in the fixed 7-character form (outward padded to 4, then the
    inward code) and read as a big-endian integer. Space sorts before digits and letters,
    so every district, and every sector, is one contiguous run of keys: district ranges
    fall out of a sorted array without any extra structure.
    """
    return int.from_bytes((outward.ljust(4) + inward).encode("ascii"), "big")


def key_to_postcode(key: int) -> str:
    raw = int(key).to_bytes(7, "big").decode("ascii")
    return f"{raw[:4].rstrip()} {raw[4:]}"
