"""A backstop that runs a pass every few seconds for as long as its process lives: a failed
pass is logged (a Redis outage as an outage) and the next one runs as usual."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable

from config import is_outage, outage

log = logging.getLogger("core.sweeps")


async def sweep_forever(every_s: float, sweep: Callable[[], Awaitable[Any]], what: str) -> None:
    while True:
        await asyncio.sleep(every_s)
        try:
            await sweep()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a backstop must outlive any one bad pass
            if is_outage(exc):
                outage.REDIS.failed(exc, what)
            else:
                log.exception("%s failed", what)
