"""Web Push subscriptions: one per device (browser) a user has allowed to notify.

A subscription's id is derived from its endpoint, so a browser that subscribes again (it
does, on every page load that re-checks) gets the same id back instead of a second copy
that would show every message twice. The keys are checked here (a P-256 point and a
16-byte secret, RFC 8291) so a bad subscription is refused at once, not at the first send.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from redis.asyncio import Redis

from accounts.errors import InvalidSubscription, TooManyDevices
from config import keys
from core import iso

MAX_ENDPOINT = 2048
MAX_PER_USER = 20  # devices; a leaking browser must not grow a user's set without bound
LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class PushSubscription:
    id: str
    user_id: str
    endpoint: str
    p256dh: str
    auth: str
    created_at: str = ""

    def info(self) -> dict[str, Any]:
        """The shape the Push API (and pywebpush) uses."""
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}


def subscription_id(endpoint: str) -> str:
    return "psub_" + hashlib.sha256(endpoint.encode()).hexdigest()[:20]


def _b64url(value: Any) -> bytes | None:
    if not isinstance(value, str) or not value or len(value) > 200:
        return None
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return None


def host_allowed(host: str, allowed: tuple[str, ...]) -> bool:
    """`host` is one of `allowed` ("*.push.apple.com" takes its subdomains, "*" any host)."""
    host = host.lower().rstrip(".")
    return any(a == "*" or host == a or (a.startswith("*.") and host.endswith(a[1:])) for a in allowed)


def parse_subscription(body: Any, allowed_hosts: tuple[str, ...] = ("*",)) -> tuple[str, str, str]:
    """(endpoint, p256dh, auth) from `{endpoint, keys: {p256dh, auth}}`, or 422 naming the field.
    An https endpoint must be on one of `allowed_hosts` (the push services)."""
    errors: dict[str, str] = {}
    if not isinstance(body, dict):
        raise InvalidSubscription("The subscription must be an object {endpoint, keys: {p256dh, auth}}.",
                           {"endpoint": "required"})
    endpoint = body.get("endpoint")
    if not isinstance(endpoint, str) or len(endpoint) > MAX_ENDPOINT:
        errors["endpoint"] = "must be the push service URL the browser gave"
    else:
        parts = urlsplit(endpoint)
        # Push services are https; plain http only to this machine (development, tests).
        if not parts.hostname or not (parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK)):
            errors["endpoint"] = "must be an https URL"
        elif parts.hostname not in LOOPBACK and not host_allowed(parts.hostname, allowed_hosts):
            errors["endpoint"] = "must be the address of a browser's push service"
    raw_keys = body.get("keys")
    p256dh = auth = None
    if not isinstance(raw_keys, dict):
        errors["keys"] = "must be an object {p256dh, auth}"
    else:
        p256dh, auth = raw_keys.get("p256dh"), raw_keys.get("auth")
        point = _b64url(p256dh)
        if point is None or len(point) != 65 or point[0] != 4:
            errors["keys.p256dh"] = "must be the browser's P-256 public key (65 bytes, base64url)"
        secret = _b64url(auth)
        if secret is None or len(secret) != 16:
            errors["keys.auth"] = "must be the browser's 16-byte auth secret (base64url)"
    if errors:
        raise InvalidSubscription("The push subscription is not valid.", errors)
    return str(endpoint), str(p256dh).rstrip("="), str(auth).rstrip("=")


class PushSubscriptions:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def add(self, user_id: str, endpoint: str, p256dh: str, auth: str) -> PushSubscription:
        sub_id = subscription_id(endpoint)
        key = keys.push_subscription(sub_id)
        owner = await self.redis.hget(key, "user_id")
        if owner is not None and owner != user_id:
            # The same browser signed in as someone else: it now notifies only the new user.
            await self.redis.srem(keys.user_push_subscriptions(owner), sub_id)
        if owner != user_id and await self.redis.scard(keys.user_push_subscriptions(user_id)) >= MAX_PER_USER:
            raise TooManyDevices(f"At most {MAX_PER_USER} devices can get push notifications; remove one first.")
        sub = PushSubscription(sub_id, user_id, endpoint, p256dh, auth, iso(time.time()))
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping={"user_id": user_id, "endpoint": endpoint, "p256dh": p256dh, "auth": auth,
                                    "created_at": sub.created_at})
            pipe.sadd(keys.user_push_subscriptions(user_id), sub_id)
            await pipe.execute()
        return sub

    async def remove(self, user_id: str, subscription_id: str) -> bool:
        """Remove the user's own subscription; False when it is not theirs (or not there)."""
        key = keys.push_subscription(subscription_id)
        if await self.redis.hget(key, "user_id") != user_id:
            return False
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(key)
            pipe.srem(keys.user_push_subscriptions(user_id), subscription_id)
            await pipe.execute()
        return True

    async def gone(self, subscription_id: str) -> None:
        """The push service said the subscription no longer exists (404/410)."""
        owner = await self.redis.hget(keys.push_subscription(subscription_id), "user_id")
        if owner is not None:
            await self.remove(owner, subscription_id)

    async def get(self, subscription_id: str) -> PushSubscription | None:
        raw = await self.redis.hgetall(keys.push_subscription(subscription_id))
        if not raw:
            return None
        return PushSubscription(subscription_id, raw["user_id"], raw["endpoint"], raw["p256dh"], raw["auth"],
                                raw.get("created_at", ""))

    async def get_many(self, subscription_ids: list[str]) -> dict[str, PushSubscription]:
        """The subscriptions that still exist among these ids, in one round trip."""
        wanted = list(dict.fromkeys(subscription_ids))
        if not wanted:
            return {}
        async with self.redis.pipeline(transaction=False) as pipe:
            for sub_id in wanted:
                pipe.hgetall(keys.push_subscription(sub_id))
            raws = await pipe.execute()
        return {sub_id: PushSubscription(sub_id, raw["user_id"], raw["endpoint"], raw["p256dh"], raw["auth"],
                                         raw.get("created_at", ""))
                for sub_id, raw in zip(wanted, raws, strict=True) if raw}

    async def ids_of(self, user_ids: list[str]) -> dict[str, list[str]]:
        """Each user's subscription ids, in one round trip."""
        if not user_ids:
            return {}
        async with self.redis.pipeline(transaction=False) as pipe:
            for user_id in user_ids:
                pipe.smembers(keys.user_push_subscriptions(user_id))
            found = await pipe.execute()
        return {user_id: sorted(ids) for user_id, ids in zip(user_ids, found)}
