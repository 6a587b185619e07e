"""Providers: who they are, what they can do, where they work, on which tier.

Every process keeps a snapshot of all providers with a spatial index of their coverage,
reloaded only when the shared version token in Redis changes, so matching a package reads
one key instead of every provider.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

import geo
from config import keys
from core import AuditNote, iso, new_id
from matcher.areas import AreaStore
from matcher.errors import Invalid, NotFound
from matcher.inputs import ProviderInput, ProviderPatch
from matcher.model import Provider
from matcher.tx import transact


@dataclass
class Snapshot:
    version: str | None
    providers: dict[str, Provider]
    coverage: geo.CoverageIndex


class ProviderStore:
    def __init__(self, redis: Redis, postcodes: geo.PostcodeIndex, areas: AreaStore) -> None:
        self.redis = redis
        self.postcodes = postcodes
        self.areas = areas
        self._snapshot: Snapshot | None = None
        self._reload = asyncio.Lock()

    async def create(self, given: ProviderInput, *, note: AuditNote | None) -> Provider:
        """A new provider; `note` (who and why) audits it in the same transaction (None:
        seeding, not an administrative change)."""
        now = iso(time.time())
        values = await self._resolve(_values(given))
        provider = Provider(id=new_id("prv"), created_at=now, updated_at=now, **values)
        async with self.redis.pipeline(transaction=True) as pipe:
            self._queue_save(pipe, provider, new=True)
            if note is not None:
                note.queue(pipe, "provider.created", "provider", provider.id, provider.name, None, provider.to_dict())
            await pipe.execute()
        return provider

    async def check(self, given: ProviderInput | ProviderPatch) -> None:
        """Raise Invalid for what only the stores can tell, saving nothing (forms show all at once)."""
        await self._resolve(_values(given))

    async def update(self, provider_id: str, patch: ProviderPatch, *, note: AuditNote) -> tuple[Provider, Provider]:
        """The patch applied to the provider as it is when the change commits (WATCHed, so the
        "before" the audit entry records is the one replaced), audited in the same
        transaction as provider.status_changed or provider.updated; returns before and after."""

        async def write(pipe: Pipeline) -> tuple[Provider, Provider]:
            raw = await pipe.get(keys.provider(provider_id))
            if raw is None:
                raise NotFound("No such provider.")
            before = Provider.from_dict(json.loads(raw))
            values = await self._resolve(_values(patch))
            after = Provider.from_dict({**before.to_dict(), **values, "updated_at": iso(time.time())})
            pipe.multi()
            self._queue_save(pipe, after, new=False)
            action = "provider.status_changed" if after.status != before.status else "provider.updated"
            note.queue(pipe, action, "provider", after.id, after.name, before.to_dict(), after.to_dict())
            return before, after

        return await transact(self.redis, [keys.provider(provider_id)], write)

    @staticmethod
    def _queue_save(pipe: Pipeline, provider: Provider, *, new: bool) -> None:
        pipe.set(keys.provider(provider.id), json.dumps(provider.to_dict()))
        if new:
            pipe.zadd(keys.PROVIDERS, {provider.id: time.time()})
        pipe.set(keys.PROVIDERS_VERSION, secrets.token_hex(8))

    async def get(self, provider_id: str) -> Provider:
        raw = await self.redis.get(keys.provider(provider_id))
        if raw is None:
            raise NotFound("No such provider.")
        return Provider.from_dict(json.loads(raw))

    async def exists(self, provider_id: str) -> bool:
        """A provider record, not any key under the provider prefix ("x:users" is a set)."""
        return await self.redis.zscore(keys.PROVIDERS, provider_id) is not None

    async def list(self) -> list[Provider]:
        ids = await self.redis.zrange(keys.PROVIDERS, 0, -1)
        if not ids:
            return []
        raws = await self.redis.mget([keys.provider(i) for i in ids])
        return [Provider.from_dict(json.loads(r)) for r in raws if r]

    async def names(self, provider_ids: set[str] | list[str]) -> dict[str, str]:
        """Provider id -> name for the ids that exist, in one round trip (ids shown by name)."""
        ids = [i for i in dict.fromkeys(provider_ids) if i]
        if not ids:
            return {}
        raws = await self.redis.mget([keys.provider(i) for i in ids])
        return {i: json.loads(r)["name"] for i, r in zip(ids, raws, strict=True) if r}

    async def snapshot(self) -> Snapshot:
        """All providers and their coverage index, current as of this call."""
        version = await self.redis.get(keys.PROVIDERS_VERSION)
        current = self._snapshot
        if current is not None and current.version == version:
            return current
        async with self._reload:
            if self._snapshot is not None and self._snapshot.version == version:
                return self._snapshot
            providers = {p.id: p for p in await self.list()}
            coverage = geo.CoverageIndex(self.postcodes)
            for provider in providers.values():
                coverage.set(provider.id, geo.parse_coverage(provider.coverage, self.postcodes))
            self._snapshot = Snapshot(version, providers, coverage)
            return self._snapshot

    async def _resolve(self, values: dict[str, Any]) -> dict[str, Any]:
        """Check what only the stores know (real districts and postcodes, known areas) and
        put coverage in its normal form; Invalid names the field."""
        if "coverage" in values:
            try:
                values["coverage"] = [c.to_json() for c in geo.parse_coverage(values["coverage"], self.postcodes)]
            except geo.InvalidCoverage as exc:
                raise Invalid({"coverage": exc.message}) from None
        if values.get("tiers"):
            names = await self.areas.names()
            unknown = next((name for name in values["tiers"] if name not in names), None)
            if unknown is not None:
                raise Invalid({"tiers": f"{unknown!r} is not a known area"})
        return values


def _values(given: ProviderInput | ProviderPatch) -> dict[str, Any]:
    """The provider's own fields as plain values: a patch's sent fields only, never its reason."""
    if isinstance(given, ProviderPatch):
        return given.model_dump(include=set(given.changes()))
    return given.model_dump(exclude={"reason"})
