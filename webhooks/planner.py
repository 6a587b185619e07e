"""Turns events into deliveries: one per (endpoint, event) for every endpoint subscribed to
the event's type, each put in the lane of its package so receivers get a package's events in
the order they happened."""

from __future__ import annotations

import json
import time
from typing import Any, Awaitable, Callable

from core import Event, new_id
from webhooks.deliveries import DeliveryLog
from webhooks.endpoints import Endpoints
from webhooks.model import NO_PACKAGE, Delivery, event_order

Kick = Callable[[str, str], Awaitable[None]]


def body(event: Event) -> str:
    """The body the receiver gets: what a broker's socket carries for the event."""
    data: dict[str, Any] = event.data
    if event.audience and "provider_ids" not in data and "provider_id" not in data:
        data = {**data, "provider_ids": event.audience}
    return json.dumps({"id": event.id, "type": event.type, "at": event.at, "data": data}, separators=(",", ":"))


class Planner:
    def __init__(self, endpoints: Endpoints, log: DeliveryLog, kick: Kick) -> None:
        self.endpoints = endpoints
        self.log = log
        self.kick = kick

    async def handle(self, events: list[Event]) -> int:
        endpoints = await self.endpoints.all()
        if not endpoints:
            return 0
        lanes: set[tuple[str, str]] = set()
        planned = 0
        for event in events:
            for endpoint in endpoints:
                if not endpoint.wants(event.type) or event_order(event.id) <= event_order(endpoint.start_after):
                    continue
                lane = event.package_id or NO_PACKAGE
                delivery = Delivery(id=new_id("dlv"), endpoint_id=endpoint.id, event_id=event.id, type=event.type,
                                    lane=lane, body=body(event), created_at=time.time())
                if await self.log.plan(delivery):
                    planned += 1
                # Kicked even when planned before: the first try may have died before its kick.
                lanes.add((endpoint.id, lane))
        for endpoint_id, lane in lanes:
            await self.kick(endpoint_id, lane)
        return planned
