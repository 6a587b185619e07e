"""Rate limits: failed sign-ins per client address over a sliding minute, kept in Redis so
every web process shares one budget. Lockout protects one account; this protects them all
from one address trying many. Only failures count: a suite of scripts, or a council office
behind one address, signing in correctly many times a minute is not an attack."""

from __future__ import annotations

import secrets
import time

from redis.asyncio import Redis
from starlette.requests import Request

from accounts import InvalidCredentials, User
from config import keys
from service import Brokerage
from web.errors import HttpError


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def check_login_rate(request: Request, redis: Redis, per_minute: int) -> None:
    """429 while this address has `per_minute` failed sign-ins in the last minute."""
    key = keys.login_rate(_client(request))
    now = time.time()
    async with redis.pipeline(transaction=True) as pipe:
        pipe.zremrangebyscore(key, 0, now - keys.RATE_WINDOW_S)
        pipe.zcard(key)
        pipe.zrange(key, 0, 0, withscores=True)
        _, failures, oldest = await pipe.execute()
    if failures >= per_minute and oldest:
        retry_after = max(1, int(oldest[0][1] + keys.RATE_WINDOW_S - now) + 1)
        raise HttpError(429, "rate_limited", f"Too many sign-in attempts from your address; try again in {retry_after} seconds.",
                        headers={"Retry-After": str(retry_after)})


async def count_failed_login(request: Request, redis: Redis) -> None:
    key = keys.login_rate(_client(request))
    now = time.time()
    async with redis.pipeline(transaction=True) as pipe:
        pipe.zadd(key, {f"{now}:{secrets.token_hex(4)}": now})
        pipe.expire(key, keys.RATE_WINDOW_S)
        await pipe.execute()


async def sign_in(request: Request, service: Brokerage, email: str, password: str) -> tuple[str, User]:
    """The API's and the login page's one way in: refused while the address is over its
    budget of failures, and each wrong email or password spends one."""
    await check_login_rate(request, service.redis, service.settings.login_rate_per_min)
    try:
        return await service.accounts.login(email, password)
    except InvalidCredentials:
        await count_failed_login(request, service.redis)
        raise
