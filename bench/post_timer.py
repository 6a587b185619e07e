"""Times POST /api/packages from a process of its own (used by fanout.py).

The load generator holds thousands of client sockets and answers their pings in its one event
loop; a POST timed in that loop also measures the load generator. This process does nothing
but post, one at a time, and prints the seconds each post took as one JSON list.

    python bench/post_timer.py BASE_URL TOKEN LABEL POSTCODE SAMPLES WARMUP
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from procs import Api, package_body


async def time_posts(base_url: str, token: str, label: str, postcode: str, samples: int, warmup: int) -> list[float]:
    api = Api(base_url, token)
    took = []
    try:
        for n in range(warmup + samples):
            started = time.perf_counter()
            response = await api.raw("POST", "/api/packages",
                                     json=package_body(reference=f"POST-{label}-{n}", postcode=postcode))
            if n >= warmup:
                took.append(time.perf_counter() - started)
            if response.status_code != 201:
                raise SystemExit(f"POST {label} {n}: {response.status_code} {response.text[:300]}")
            await asyncio.sleep(0.05)
    finally:
        await api.aclose()
    return took


if __name__ == "__main__":
    base_url, token, label, postcode, samples, warmup = sys.argv[1:7]
    print(json.dumps(asyncio.run(time_posts(base_url, token, label, postcode, int(samples), int(warmup)))))
