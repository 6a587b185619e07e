"""What a resuming client missed: every event after its last id that it may see, in order,
read from the event log page by page. Shared by the web process's `/ws` and the realtime
process, so both answer a resume the same way."""

from __future__ import annotations

import json
import re
from typing import Awaitable, Callable

from core import Event, EventLog
from realtime.hub import message

PAGE = 500
# Redis stream ids are two unsigned 64-bit numbers; anything else is not an event id.
_EVENT_ID = re.compile(r"[0-9]{1,20}-[0-9]{1,20}|[0-9]{1,20}", re.ASCII)
_U64 = 2**64


def parse_event_id(text: object) -> tuple[int, int] | None:
    """(ms, seq) of a client-supplied event id, or None if it is not one."""
    if not isinstance(text, str) or not _EVENT_ID.fullmatch(text):
        return None
    ms, _, seq = text.partition("-")
    position = int(ms), int(seq or 0)
    return position if position[0] < _U64 and position[1] < _U64 else None


BAD_AFTER = json.dumps({"type": "error", "data": {"message": "after must be an event id like 1700000000000-0"}})


async def replay(events: EventLog, after: str, wants: Callable[[Event], bool], for_broker: bool,
                 send: Callable[[str, str], Awaitable[None]]) -> None:
    """Send (event id, message) for every event after `after` that `wants` accepts. If the
    log no longer reaches back that far, say so first rather than skip silently."""
    position = parse_event_id(after)
    assert position is not None, "parse `after` before replaying"
    oldest = await events.oldest_id()
    if oldest is not None and position != (0, 0) and position < (parse_event_id(oldest) or (0, 0)):
        await send("", json.dumps({
            "type": "resync", "at": None,
            "data": {"recovered": False, "oldest_id": oldest,
                     "reason": "events after that id are no longer kept; reload your state"},
        }))
    cursor = f"{position[0]}-{position[1]}"
    while True:
        page = await events.after(cursor, PAGE)
        for event in page:
            if wants(event):
                await send(event.id, message(event, for_broker=for_broker))
        if len(page) < PAGE:
            return
        cursor = page[-1].id
