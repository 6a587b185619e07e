"""Record ids: time first so they sort by creation, then randomness so two processes never
collide. One pattern checks any id a client sends before it reaches a Redis key."""

from __future__ import annotations

import re
import secrets
import time

ID_PATTERN = r"^[a-z]{1,12}_[0-9a-f]{11,24}$"  # the same, for JSON Schema
ID_RE = re.compile(ID_PATTERN.strip("^$"))


def new_id(prefix: str) -> str:
    return f"{prefix}_{int(time.time() * 1000):011x}{secrets.token_hex(4)}"


def is_id(value: object, prefix: str | None = None) -> bool:
    """True for a well-formed id (of `prefix`, if given); never true for text that could
    address another Redis key, such as `pkg_…:offers`."""
    if not isinstance(value, str) or not ID_RE.fullmatch(value):
        return False
    return prefix is None or value.startswith(prefix + "_")
