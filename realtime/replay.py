"""What a resuming client missed: every event after its last id that it may see, in order,
read from the event log page by page. Shared by the web process's `/ws` and the realtime
process, so both answer a resume the same way."""

from __future__ import annotations

import json
from typing import Awaitable, Callable

from core import Event, EventLog
from realtime.hub import message, stream_id

PAGE = 500
def parse_event_id(text: object) -> tuple[int, int] | None:
    """(ms, seq) of a client-supplied event id, or None if it is not one."""
    if not isinstance(text, str):
        return None
    try:
        return stream_id(text)
    except ValueError:
        return None


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
