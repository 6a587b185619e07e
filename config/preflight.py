"""Before a process serves: is the Redis the settings name there, and is it the one meant?

A wrong value stops the process with one line naming the variable, rather than a traceback
from the first request or a worker waiting forever for a primary no sentinel knows. Only
what an outage cannot explain is a configuration error: sentinels that answer but watch no
primary of REDIS_MASTER_NAME, an address that answers but is not a sentinel, a password
Redis refuses. Nothing answering at all is `RedisUnreachable`, an outage (or Redis still starting): web,
whose start needs Redis, stops with it (a process manager starts it again); realtime and
the worker log it and wait, as in any outage."""

from __future__ import annotations

from redis.asyncio import Redis
from redis.exceptions import AuthenticationError, ConnectionError, ResponseError, TimeoutError

from config.redis import SENTINEL_TIMEOUT_S, RedisTarget, sentinel_options
from config.settings import ConfigError

NOT_THERE = (ConnectionError, TimeoutError, OSError)


class RedisUnreachable(ConfigError):
    """Nothing answered where the settings say Redis, or its sentinels, are."""


async def preflight(target: RedisTarget) -> None:
    if target.sentinels:
        await _sentinels_know_the_primary(target)
    else:
        await _server_answers(target)


async def _sentinels_know_the_primary(target: RedisTarget) -> None:
    silent: list[str] = []
    not_sentinels: list[str] = []
    answered: list[str] = []
    watched: set[str] = set()
    for host, port in target.sentinels:
        where = f"{host}:{port}"
        client = Redis(host=host, port=port, decode_responses=True, **sentinel_options())
        try:
            masters = await client.sentinel_masters()
        except AuthenticationError:
            raise ConfigError(f"REDIS_SENTINELS: the sentinel at {where} asks for a password; "
                              "the service connects to sentinels without one") from None
        except NOT_THERE as exc:
            silent.append(f"{where} ({type(exc).__name__})")
            continue
        except ResponseError:
            not_sentinels.append(where)
            continue
        finally:
            await client.aclose()
        if target.master_name in masters:
            return
        answered.append(where)
        watched.update(masters)
    if answered:
        known = ", ".join(sorted(watched)) or "none"
        raise ConfigError(f"REDIS_MASTER_NAME={target.master_name!r}: the sentinels at {', '.join(answered)} "
                          f"watch no primary of that name (they watch: {known})")
    if not_sentinels:
        raise ConfigError(f"REDIS_SENTINELS: {', '.join(not_sentinels)} answered, but not as a sentinel "
                          "(a Redis server's port? sentinels usually listen on 26379)")
    raise RedisUnreachable(f"REDIS_SENTINELS: no sentinel answered within {SENTINEL_TIMEOUT_S:g} s at {', '.join(silent)}")


async def _server_answers(target: RedisTarget) -> None:
    assert target.url is not None
    client = Redis.from_url(target.url, socket_timeout=2 * SENTINEL_TIMEOUT_S, socket_connect_timeout=2 * SENTINEL_TIMEOUT_S)
    try:
        await client.ping()
    except AuthenticationError:
        raise ConfigError(f"REDIS_URL: Redis at {target.describe()} refused the password (or asks for one)") from None
    except NOT_THERE as exc:
        raise RedisUnreachable(f"REDIS_URL: nothing answered at {target.describe()} ({type(exc).__name__})") from None
    finally:
        await client.aclose()
