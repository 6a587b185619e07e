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

import geo
from config import keys
from core import iso, new_id
from matcher.areas import AreaStore
from matcher.errors import NotFound
from matcher.model import (
    CLIENT_GROUPS,
    CQC_RATINGS,
    PROVIDER_STATUSES,
    SERVICE_TYPES,
    SPECIALISMS,
    TIERS,
    Provider,
)
from matcher.validate import FieldErrors

# Carried by a change for its audit record, not kept on the provider.
NOT_STORED = ("reason",)
EDITABLE = ("name", "cqc_rating", "specialisms", "client_groups", "service_types", "coverage", "tiers", "email", "phone", "status")


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

    async def create(self, body: Any) -> Provider:
        now = iso(time.time())
        values = await self._check(body, partial=False)
        provider = Provider(id=new_id("prv"), created_at=now, updated_at=now, **values)
        await self._save(provider, new=True)
        return provider

    async def check(self, body: Any, *, partial: bool) -> None:
        """Raise Invalid naming every bad field, saving nothing (forms show all at once)."""
        await self._check(body, partial=partial)

    async def update(self, provider_id: str, body: Any) -> Provider:
        provider = await self.get(provider_id)
        values = await self._check(body, partial=True)
        merged = {**provider.to_dict(), **values, "updated_at": iso(time.time())}
        updated = Provider.from_dict(merged)
        await self._save(updated, new=False)
        return updated

    async def _save(self, provider: Provider, *, new: bool) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(keys.provider(provider.id), json.dumps(provider.to_dict()))
            if new:
                pipe.zadd(keys.PROVIDERS, {provider.id: time.time()})
            pipe.set(keys.PROVIDERS_VERSION, secrets.token_hex(8))
            await pipe.execute()

    async def get(self, provider_id: str) -> Provider:
        raw = await self.redis.get(keys.provider(provider_id))
        if raw is None:
            raise NotFound("No such provider.")
        return Provider.from_dict(json.loads(raw))

    async def exists(self, provider_id: str) -> bool:
        return bool(await self.redis.exists(keys.provider(provider_id)))

    async def list(self) -> list[Provider]:
        ids = await self.redis.zrange(keys.PROVIDERS, 0, -1)
        if not ids:
            return []
        raws = await self.redis.mget([keys.provider(i) for i in ids])
        return [Provider.from_dict(json.loads(r)) for r in raws if r]

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

    async def _check(self, body: Any, *, partial: bool) -> dict[str, Any]:
        check = FieldErrors(body)
        required = not partial
        if partial:
            unknown = [k for k in check.body if k not in EDITABLE and k not in NOT_STORED]
            if unknown:
                check.add(unknown[0], "cannot be changed")
        values: dict[str, Any] = {}

        def want(name: str) -> bool:
            return required or name in check.body

        if want("name"):
            values["name"] = check.text("name", max_len=200)
        if want("cqc_rating"):
            values["cqc_rating"] = check.choice("cqc_rating", CQC_RATINGS)
        if want("specialisms"):
            values["specialisms"] = check.choices("specialisms", SPECIALISMS, required=False)
        if want("client_groups"):
            values["client_groups"] = check.choices("client_groups", CLIENT_GROUPS, non_empty=True)
        if want("service_types"):
            values["service_types"] = check.choices("service_types", SERVICE_TYPES, non_empty=True)
        if want("email"):
            values["email"] = check.email("email")
        if "phone" in check.body:
            values["phone"] = check.phone("phone")
        if "status" in check.body:
            values["status"] = check.choice("status", PROVIDER_STATUSES)
        if want("coverage"):
            values["coverage"] = self._coverage(check)
        if want("tiers"):
            values["tiers"] = await self._tiers(check, required=required)
        check.raise_if_any()
        return values

    def _coverage(self, check: FieldErrors) -> list[dict[str, Any]] | None:
        raw = check.required("coverage")
        if raw is None:
            return None
        try:
            return [c.to_json() for c in geo.parse_coverage(raw, self.postcodes)]
        except geo.InvalidCoverage as exc:
            check.add("coverage", exc.message)
            return None

    async def _tiers(self, check: FieldErrors, *, required: bool) -> dict[str, str] | None:
        raw = check.body.get("tiers", {} if not required else None)
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            check.add("tiers", "must be an object of area name to tier")
            return None
        names = await self.areas.names()
        for area_name, tier in raw.items():
            if area_name not in names:
                check.add("tiers", f"{area_name!r} is not a known area")
                return None
            if tier not in TIERS:
                check.add("tiers", f"tier for {area_name!r} must be one of: {', '.join(TIERS)}")
                return None
        return dict(raw)
