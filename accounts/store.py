"""Accounts: users and team logins, sessions, lockout, preferences.

Passwords are hashed with Argon2id (memory-hard); session tokens are random and only their
SHA-256 is stored, so a leaked database holds no usable token.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
import time
from dataclasses import dataclass, field, replace
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from config import Settings, keys
from accounts.errors import AccountBusy, AccountDeactivated, AccountError, AccountLocked, EmailTaken, InvalidCredentials, UnknownUser
from core import AuditNote, iso, new_id, watched

ROLES = ("admin", "broker", "provider")
CHANNELS = ("ws", "email", "sms", "push")
DEFAULT_CHANNELS = {"red": ["ws", "sms", "email"], "amber": ["ws", "email"], "green": ["ws", "email"]}
# Argon2 takes ~64 MiB per hash: bound how many run at once in one process.
_HASHING = asyncio.Semaphore(4)


@dataclass
class User:
    id: str
    email: str
    role: str
    provider_id: str | None
    created_at: str
    preferences: dict[str, Any] = field(default_factory=dict)
    active: bool = True

    @property
    def is_broker(self) -> bool:
        return self.role in ("broker", "admin")

    @property
    def display_name(self) -> str:
        """How teammates see this user named ("sam.jones@…" → "Sam Jones"): accounts hold no
        other name, and the email's local part is what a team calls each other by."""
        local = self.email.split("@", 1)[0]
        words = [w for w in local.replace(".", " ").replace("_", " ").replace("-", " ").split() if w]
        return " ".join(w[:1].upper() + w[1:] for w in words) or self.email

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "email": self.email, "role": self.role, "provider_id": self.provider_id}

    def listed(self) -> dict[str, Any]:
        """What an administrator sees of a user in the back office."""
        return {**self.public(), "created_at": self.created_at, "active": self.active}

    def with_preferences(self) -> dict[str, Any]:
        return {**self.public(), "created_at": self.created_at, "preferences": effective_preferences(self.preferences)}


def effective_preferences(stored: dict[str, Any]) -> dict[str, Any]:
    channels = {**DEFAULT_CHANNELS, **stored.get("channels", {})}
    return {
        "phone": stored.get("phone"),
        "email": stored.get("email"),
        "channels": channels,
        "quiet_hours": stored.get("quiet_hours"),
    }


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class AccountStore:
    def __init__(self, redis: Redis, settings: Settings) -> None:
        self.redis = redis
        self.settings = settings
        self.hasher = PasswordHasher(time_cost=settings.argon2_time_cost, memory_cost=settings.argon2_memory_kib,
                                     parallelism=settings.argon2_parallelism)
        # Verified against when the email is unknown, so both paths cost the same time.
        self._decoy_hash = self.hasher.hash(secrets.token_hex(16))

    async def _hash(self, password: str) -> str:
        async with _HASHING:
            return await asyncio.to_thread(self.hasher.hash, password)

    async def _verify(self, stored: str, password: str) -> bool:
        async with _HASHING:
            try:
                return await asyncio.to_thread(self.hasher.verify, stored, password)
            except (VerificationError, InvalidHashError):
                return False

    async def create(self, email: str, password: str, role: str, provider_id: str | None, *, note: AuditNote | None) -> User:
        """A new user; `note` (who and why) audits it in the same transaction (None: the
        bootstrap admin and seeding, not an administrative change)."""
        user = User(id=new_id("usr"), email=email, role=role, provider_id=provider_id, created_at=iso(time.time()))
        password_hash = await self._hash(password)
        claim = keys.user_by_email(email)

        # The email is claimed in the same transaction as the user and its audit entry
        # (WATCHed: two admins creating the same user at once get one user, one entry).
        async def write(pipe: Pipeline) -> User:
            if await pipe.exists(claim):
                raise EmailTaken("A user with this email already exists.", {"email": "is already in use"})
            pipe.multi()
            pipe.set(claim, user.id)
            pipe.hset(keys.user(user.id), mapping={
                "id": user.id, "email": email, "role": role, "provider_id": provider_id or "",
                "created_at": user.created_at, "password_hash": password_hash, "preferences": "{}",
            })
            pipe.zadd(keys.USERS, {user.id: time.time()})
            pipe.sadd(keys.role_users(role), user.id)
            if provider_id:
                pipe.sadd(keys.provider_users(provider_id), user.id)
            if note is not None:
                note.queue(pipe, "user.created", "user", user.id, user.email, None, user.listed())
            return user

        return await watched(self.redis, [claim], write, _busy)

    async def ensure_admin(self, email: str, password: str) -> User | None:
        if await self.redis.exists(keys.user_by_email(email.lower())):
            return None
        try:
            return await self.create(email.lower(), password, "admin", None, note=None)
        except AccountError:
            return None  # another process created it first

    async def get(self, user_id: str) -> User | None:
        raw = await self.redis.hgetall(keys.user(user_id))
        return _user(raw) if raw else None

    async def get_many(self, user_ids: list[str]) -> dict[str, User]:
        """The users that exist among `user_ids`, in one round trip."""
        wanted = list(dict.fromkeys(user_ids))
        if not wanted:
            return {}
        async with self.redis.pipeline(transaction=False) as pipe:
            for user_id in wanted:
                pipe.hgetall(keys.user(user_id))
            raws = await pipe.execute()
        return {user_id: _user(raw) for user_id, raw in zip(wanted, raws, strict=True) if raw}

    async def users_of_provider(self, provider_id: str) -> list[User]:
        return await self._members(keys.provider_users(provider_id))

    async def users_with_phone(self, phone: str) -> list[User]:
        """Users whose preferences register this E.164 number (a number may be a shared office phone)."""
        users = await self._members(keys.phone_users(phone))
        return [u for u in users if u.preferences.get("phone") == phone]

    async def users_with_role(self, role: str) -> list[User]:
        return await self._members(keys.role_users(role))

    async def _members(self, key: str) -> list[User]:
        ids = sorted(await self.redis.smembers(key))
        async with self.redis.pipeline(transaction=False) as pipe:
            for user_id in ids:
                pipe.hgetall(keys.user(user_id))
            raws = await pipe.execute()  # one round trip for a whole team
        return [_user(raw) for raw in raws if raw]

    async def login(self, email: str, password: str) -> tuple[str, User]:
        user_id = await self.redis.get(keys.user_by_email(email.lower()))
        raw = await self.redis.hgetall(keys.user(user_id)) if user_id else {}
        if not raw:
            await self._verify(self._decoy_hash, password)
            raise _invalid_credentials()
        user = _user(raw)
        if await self.redis.exists(keys.login_lock(user.id)):
            raise _locked()
        if not await self._verify(raw["password_hash"], password):
            await self._count_failure(user.id)
            raise _invalid_credentials()
        await self.redis.delete(keys.login_failures(user.id))
        if not user.active:
            # Said only to someone who knows the password: no hint to anyone guessing.
            raise _deactivated()
        return await self._open_session(user.id), user

    async def _count_failure(self, user_id: str) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(keys.login_failures(user_id))
            pipe.expire(keys.login_failures(user_id), keys.LOGIN_FAILURE_TTL_S)
            failures, _ = await pipe.execute()
        if failures >= self.settings.lockout_attempts:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.set(keys.login_lock(user_id), "1", ex=self.settings.lockout_s)
                pipe.delete(keys.login_failures(user_id))
                await pipe.execute()

    async def _open_session(self, user_id: str) -> str:
        token = secrets.token_urlsafe(32)
        digest = token_hash(token)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(keys.session(digest), user_id, ex=self.settings.session_ttl_s)
            pipe.sadd(keys.user_sessions(user_id), digest)
            await pipe.execute()
        return token

    async def authenticate(self, token: str) -> User | None:
        user_id = await self.redis.get(keys.session(token_hash(token)))
        user = await self.get(user_id) if user_id else None
        # A deactivated user's sessions are deleted; this also refuses any that raced it.
        return user if user is not None and user.active else None

    async def live_sessions(self, token_hashes: list[str]) -> set[str]:
        """Which of these sessions (by token hash) still exist, in one round trip: those that
        expired or were revoked are gone, so their open sockets must close too."""
        if not token_hashes:
            return set()
        async with self.redis.pipeline(transaction=False) as pipe:
            for digest in token_hashes:
                pipe.exists(keys.session(digest))
            found = await pipe.execute()
        return {digest for digest, alive in zip(token_hashes, found, strict=True) if alive}

    async def logout(self, token: str) -> None:
        digest = token_hash(token)
        user_id = await self.redis.getdel(keys.session(digest))
        if user_id:
            await self.redis.srem(keys.user_sessions(user_id), digest)
        # Every web process closes the sockets opened with this token.
        await self.redis.publish(keys.REVOKED_SESSIONS, digest)

    async def unlock(self, user_id: str, *, note: AuditNote) -> User:
        """End a sign-in lockout, audited (locked before or not) in the same transaction."""

        async def write(pipe: Pipeline) -> User:
            raw = await pipe.hgetall(keys.user(user_id))
            if not raw:
                raise UnknownUser("No such user.")
            user = _user(raw)
            was_locked = bool(await pipe.exists(keys.login_lock(user_id)))
            pipe.multi()
            pipe.delete(keys.login_lock(user_id), keys.login_failures(user_id))
            note.queue(pipe, "user.unlocked", "user", user.id, user.email, {"locked": was_locked}, {"locked": False})
            return user

        return await watched(self.redis, [keys.user(user_id), keys.login_lock(user_id)], write, _busy)

    async def is_locked(self, user_id: str) -> bool:
        return bool(await self.redis.exists(keys.login_lock(user_id)))

    async def list(self, *, q: str | None = None, role: str | None = None, provider_id: str | None = None) -> list[User]:
        """Every user (newest first) whose email contains `q`, of `role` and `provider_id`."""
        ids = await self.redis.zrevrange(keys.USERS, 0, -1)
        async with self.redis.pipeline(transaction=False) as pipe:
            for user_id in ids:
                pipe.hgetall(keys.user(user_id))
            raws = await pipe.execute()
        users = [_user(raw) for raw in raws if raw]
        return [u for u in users if (not q or q.lower() in u.email) and (not role or u.role == role)
                and (not provider_id or u.provider_id == provider_id)]

    async def locked_among(self, user_ids: list[str]) -> set[str]:
        async with self.redis.pipeline(transaction=False) as pipe:
            for user_id in user_ids:
                pipe.exists(keys.login_lock(user_id))
            found = await pipe.execute()
        return {u for u, locked in zip(user_ids, found, strict=True) if locked}

    async def set_active(self, user_id: str, active: bool, *, note: AuditNote) -> tuple[User, User]:
        """Deactivate (every session ends, on every process, sockets included) or reactivate,
        audited in the same transaction; returns the user before and after."""

        async def write(pipe: Pipeline) -> tuple[User, User, list[str]]:
            raw = await pipe.hgetall(keys.user(user_id))
            if not raw:
                raise UnknownUser("No such user.")
            before = _user(raw)
            # WATCHed: a session opened while this runs makes it run again and end that one too.
            digests = [] if active else sorted(await pipe.smembers(keys.user_sessions(user_id)))
            after = replace(before, active=active)
            pipe.multi()
            pipe.hset(keys.user(user_id), "active", "1" if active else "0")
            if not active:
                for digest in digests:
                    pipe.delete(keys.session(digest))
                pipe.delete(keys.user_sessions(user_id))
            note.queue(pipe, "user.reactivated" if active else "user.deactivated", "user", after.id, after.email,
                       before.listed(), after.listed())
            return before, after, digests

        before, after, digests = await watched(self.redis, [keys.user(user_id), keys.user_sessions(user_id)], write, _busy)
        for digest in digests:
            # Every web process closes the sockets opened with these tokens.
            await self.redis.publish(keys.REVOKED_SESSIONS, digest)
        return before, after

    async def set_preferences(self, user: User, changes: dict[str, Any]) -> User:
        merged = {**user.preferences, **changes}
        before, after = user.preferences.get("phone"), merged.get("phone")
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(keys.user(user.id), "preferences", json.dumps(merged))
            # Phone -> users index: an SMS reply is matched to the user who registered the number.
            if before and before != after:
                pipe.srem(keys.phone_users(before), user.id)
            if after:
                pipe.sadd(keys.phone_users(after), user.id)
            await pipe.execute()
        user.preferences = merged
        return user


def _user(raw: dict[str, str]) -> User:
    return User(
        id=raw["id"], email=raw["email"], role=raw["role"], provider_id=raw.get("provider_id") or None,
        created_at=raw.get("created_at", ""), preferences=json.loads(raw.get("preferences") or "{}"),
        active=raw.get("active", "1") != "0",
    )


def _busy() -> AccountError:
    return AccountBusy("This account is being changed by someone else at this moment; try again.")


def _invalid_credentials() -> AccountError:
    return InvalidCredentials("The email or password is not right.")


def _deactivated() -> AccountError:
    return AccountDeactivated("This account has been deactivated. Ask your administrator if you need it again.")


def _locked() -> AccountError:
    return AccountLocked("This account is locked after too many failed sign-ins. Try again later or ask an administrator to unlock it.")
