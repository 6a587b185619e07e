"""Bulk import by CSV: every row validated first, then posted in small transactions.

From the broker's side an import is still all or nothing with respect to validation: every
row is checked as one body of `POST /api/packages` would be, errors come back by row and
field, and nothing is stored when any row is bad. Only a file that is valid throughout
becomes an import (`imp_…`), and its rows are then posted a few at a time (at most
CHUNK_ROWS packages or CHUNK_MATCHES matches), one MULTI/EXEC each. One transaction for the whole file (500 packages, each matched to a hundred
providers: ~150,000 commands) held Redis for seconds, and every other request waited;
chunks let other requests run in between.

A row is posted once. Each chunk's transaction WATCHes the import's row hash, skips rows
already in it, and records each row's package in the same MULTI as the package itself, so a
crash between chunks (or two processes resuming at once) can neither lose nor repeat a row.
The posting process holds a lease renewed after each chunk; an import whose lease lapsed
(its process died) is resumed by the worker's sweep or by the broker (`resume`), and
continues from the first row not yet posted.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from config import keys
from core import iso, new_id
from matcher import bulk
from matcher.errors import Conflict, Invalid, NotFound
from matcher.fields import field_errors
from matcher.inputs import PackageInput
from matcher.model import Package
from matcher.packages import PackageStore
from matcher.tx import transact

log = logging.getLogger("matcher.imports")
# What one transaction may carry: at most this many packages, and no more once their matches
# reach the budget (each match is ~3 commands: its record, the provider's list, its event), so
# a package matched to a hundred providers goes five at a time and a sparse one 25 at a time.
CHUNK_ROWS = 25
CHUNK_MATCHES = 500


@dataclass(frozen=True)
class ImportReport:
    """What an import has done so far: `packages` in row order, each `{row, id, …}` or, for
    a row that a resume found no longer valid, `{row, error}`."""

    id: str
    status: str  # posting, done
    total: int
    started_at: str
    finished_at: str | None
    packages: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        posted = sum(1 for p in self.packages if "id" in p)
        return {"id": self.id, "import_id": self.id, "status": self.status, "total": self.total, "posted": posted,
                "started_at": self.started_at, "finished_at": self.finished_at, "packages": self.packages}


@dataclass
class Chunk:
    """Rows matched and ready for one transaction."""

    rows: list[tuple[int, Package, Any, Any]] = field(default_factory=list)  # (row, package, wave, round fits)
    failed: dict[int, str] = field(default_factory=dict)
    matches: int = 0


class PackageImports:
    def __init__(self, redis: Redis, packages: PackageStore, chunk: int = CHUNK_ROWS, chunk_matches: int = CHUNK_MATCHES) -> None:
        self.redis = redis
        self.packages = packages
        self.chunk = chunk
        self.chunk_matches = chunk_matches

    async def start(self, text: str, actor: str) -> ImportReport:
        """Validate every row, then post them all (in chunks) and answer with the report."""
        bodies = await self._validated(text, actor)
        import_id = new_id("imp")
        meta = {"id": import_id, "actor": actor, "status": "posting", "total": len(bodies), "started_at": iso(time.time()),
                "finished_at": None}
        owner = new_id("lease")
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(keys.package_import(import_id), mapping={"meta": json.dumps(meta), "bodies": json.dumps(bodies)})
            # Leased from the start, so the worker's sweep cannot take it before this request begins.
            pipe.set(keys.package_import_lease(import_id), owner, ex=keys.IMPORT_LEASE_S)
            pipe.zadd(keys.IMPORTS_POSTING, {import_id: time.time()})
            await pipe.execute()
        await self.run(import_id, owner)
        return await self.report(import_id)

    async def _validated(self, text: str, actor: str) -> list[dict[str, Any]]:
        """The rows' bodies, each with its `_row`; Invalid naming `rows[N].field` if any is bad."""
        bodies, errors = bulk.parse(text)
        for body in bodies:
            row = body["_row"]
            await asyncio.sleep(0)  # a big file must not starve the other requests of this process
            try:
                await self.packages.new_package(PackageInput.model_validate(_needs(body)), actor)
            except ValidationError as exc:
                for name, problem in field_errors(exc, PackageInput).items():
                    errors.setdefault(bulk.row_field(row, name), problem)
            except Invalid as exc:
                for name, problem in (exc.fields or {}).items():
                    errors.setdefault(bulk.row_field(row, name), problem)
        if errors:
            rows = len({name.split(".")[0] for name in errors})
            verb = "has" if rows == 1 else "have"
            raise Invalid(errors, f"{rows} of {len(bodies)} row{'' if len(bodies) == 1 else 's'} {verb} errors; nothing was posted. "
                                  "Fix them and upload the file again.")
        return bodies

    async def run(self, import_id: str, owner: str | None = None) -> bool:
        """Post the rows not yet posted; False if another process holds the import's lease
        (`owner`: the lease this process already holds)."""
        lease = keys.package_import_lease(import_id)
        if owner is None:
            owner = new_id("lease")
            if not await self.redis.set(lease, owner, nx=True, ex=keys.IMPORT_LEASE_S):
                return False
        try:
            raw = await self.redis.hmget(keys.package_import(import_id), ["meta", "bodies"])
            if raw[0] is None:
                raise NotFound("No such import.")
            meta = json.loads(raw[0])
            if meta["status"] == "done":
                return True
            done = set(await self.redis.hkeys(keys.package_import_rows(import_id)))
            todo = [b for b in json.loads(raw[1] or "[]") if str(b["_row"]) not in done]
            chunk = Chunk()
            for n, body in enumerate(todo, start=1):
                # Matching reads providers and rounds: done before the transaction, as a single post does.
                await self._prepare(chunk, body, meta["actor"])
                if n < len(todo) and len(chunk.rows) < self.chunk and chunk.matches < self.chunk_matches:
                    continue
                await self._post_chunk(import_id, meta["actor"], chunk)
                chunk = Chunk()
                if await self.redis.get(lease) == owner:  # renewed, never taken back from a resumer
                    await self.redis.expire(lease, keys.IMPORT_LEASE_S)
            await self._finish(import_id, meta)
            return True
        finally:
            if await self.redis.get(lease) == owner:
                await self.redis.delete(lease)

    async def _prepare(self, chunk: Chunk, body: dict[str, Any], actor: str) -> None:
        row = body["_row"]
        try:
            package = await self.packages.new_package(PackageInput.model_validate(_needs(body)), actor)
        except (ValidationError, Invalid) as exc:
            # Valid at upload, not now (a ruled-out provider removed since): reported, never retried.
            chunk.failed[row] = str(exc)
            return
        wave = await self.packages.first_wave(package)
        chunk.rows.append((row, package, wave, await self.packages.round_fits(package, wave)))
        chunk.matches += len(wave)
        await asyncio.sleep(0)  # a big file must not starve the other requests of this process

    async def _post_chunk(self, import_id: str, actor: str, chunk: Chunk) -> None:
        rows_key = keys.package_import_rows(import_id)
        prepared, failed = chunk.rows, chunk.failed

        async def write(pipe: Pipeline) -> list[Package]:
            rows = [str(row) for row, *_ in prepared] + [str(row) for row in failed]
            already = dict(zip(rows, await pipe.hmget(rows_key, rows))) if rows else {}
            pipe.multi()
            posted = []
            for row, package, wave, fits in prepared:
                if already[str(row)] is not None:
                    continue  # posted before a crash: never twice
                self.packages.queue_post(pipe, package, wave, actor, fits)
                pipe.hset(rows_key, str(row), json.dumps(_posted(row, package)))
                posted.append(package)
            for row, problem in failed.items():
                if already[str(row)] is None:
                    pipe.hset(rows_key, str(row), json.dumps({"row": row, "error": problem}))
            return posted

        posted = await transact(self.redis, [rows_key], write)
        # A window lost here (a crash before it is scheduled) is found by the deadline sweep.
        await asyncio.gather(*[self.packages.schedule(p) for p in posted])

    async def _finish(self, import_id: str, meta: dict[str, Any]) -> None:
        meta = {**meta, "status": "done", "finished_at": iso(time.time())}
        async with self.redis.pipeline(transaction=True) as pipe:
            # The rows' bodies (postcodes, summaries) now live in their packages only.
            pipe.hdel(keys.package_import(import_id), "bodies")
            pipe.hset(keys.package_import(import_id), "meta", json.dumps(meta))
            pipe.zrem(keys.IMPORTS_POSTING, import_id)
            pipe.expire(keys.package_import(import_id), keys.IMPORT_KEEP_S)
            pipe.expire(keys.package_import_rows(import_id), keys.IMPORT_KEEP_S)
            await pipe.execute()
        log.info("import %s posted %d rows", import_id, meta["total"])

    async def report(self, import_id: str) -> ImportReport:
        raw = await self.redis.hget(keys.package_import(import_id), "meta")
        if raw is None:
            raise NotFound("No such import.")
        meta = json.loads(raw)
        rows = [json.loads(v) for v in (await self.redis.hvals(keys.package_import_rows(import_id)))]
        return ImportReport(id=import_id, status=meta["status"], total=meta["total"], started_at=meta["started_at"],
                            finished_at=meta.get("finished_at"), packages=sorted(rows, key=lambda r: r["row"]))

    async def resume(self, import_id: str) -> ImportReport:
        """Carry on an import whose poster stopped (the broker's button, or the sweep)."""
        if not await self.run(import_id):
            raise Conflict("The import is being posted now; its report fills in as it goes.", code="import_in_progress")
        return await self.report(import_id)

    async def sweep(self) -> int:
        """Resume every import whose poster died (no lease); how many were resumed."""
        resumed = 0
        for import_id in await self.redis.zrange(keys.IMPORTS_POSTING, 0, -1):
            if await self.redis.exists(keys.package_import_lease(import_id)):
                continue
            if await self.run(import_id):
                resumed += 1
                log.info("import %s resumed", import_id)
        return resumed


def _needs(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "_row"}


def _posted(row: int, package: Package) -> dict[str, Any]:
    return {"row": row, "id": package.id, "reference": package.reference, "postcode": package.postcode,
            "urgency": package.urgency, "deadline": package.deadline, "matched": package.matched, "status": package.status}
