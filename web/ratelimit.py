"""Rate limits: sign-in attempts per client address over a sliding minute, kept in Redis so
every web process shares one budget. Lockout protects one account; this protects them all
from one address trying many."""

from __future__ import annotations

import secrets
import time

from redis.asyncio import Redis
from starlette.requests import Request

from config import keys
from web.errors import HttpError


async def check_login_rate(request: Request, redis: Redis, per_minute: int) -> None:
    client = request.client.host if request.client else "unknown"
    key = keys.login_rate(client)
    now = time.time()
    async with redis.pipeline(transaction=True) as pipe:
        pipe.zremrangebyscore(key, 0, now - keys.RATE_WINDOW_S)
        pipe.zadd(key, {f"{now}:{secrets.token_hex(4)}": now})
        pipe.zcard(key)
        pipe.zrange(key, 0, 0, withscores=True)
        pipe.expire(key, keys.RATE_WINDOW_S)
        _, _, attempts, oldest, _ = await pipe.execute()
    if attempts > per_minute:
        retry_after = max(1, int(oldest[0][1] + keys.RATE_WINDOW_S - now) + 1)
        raise HttpError(429, "rate_limited", f"Too many sign-in attempts from your address; try again in {retry_after} seconds.",
                        headers={"Retry-After": str(retry_after)})
