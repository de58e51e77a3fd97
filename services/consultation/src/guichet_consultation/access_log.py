"""The access log: every consultation of a dossier, denials included, chained by hash.

Each entry records who consulted (authority, agent, roles), for which purpose, which
dossier (none for a search), which data categories were read and which were withheld,
when, and the outcome. Its ``hash`` is SHA-256 over the previous entry's hash and a
canonical JSON of its own fields (its ``seq`` included), so altering, deleting or
reordering an entry breaks the chain from that entry on; ``verify`` finds the first
broken entry. Appends are serialised so the chain stays linear: PostgreSQL takes a
transaction-scoped advisory lock per schema, SQLite's ``BEGIN IMMEDIATE`` already
serialises writers. The data subject reads who consulted their dossiers and why
(``for_dossiers``; CJEU C-579/21). Removing the newest entries leaves no trace in the
chain itself: compare ``ChainCheck.head`` with a head recorded elsewhere to detect that.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from guichet_consultation.access_entries import (
    GENESIS,
    AccessEntry,
    AccessRecord,
    ChainCheck,
    Outcome,
    access_log,
    chain_hash,
    entry_for,
    record_of,
)
from guichet_core.kernel.store.database import as_utc

_GROUP = 500  # entries per transaction at most

__all__ = [
    "GENESIS",
    "AccessEntry",
    "AccessLog",
    "AccessRecord",
    "ChainCheck",
    "Outcome",
    "access_log",
    "chain_hash",
    "entry_for",
]


class AccessLog:
    """The tamper-evident log of consultations, in the service's own database."""

    def __init__(self, engine: AsyncEngine, *, page_size: int = 1000) -> None:
        self.engine = engine
        self.page_size = page_size
        self._pending: list[tuple[AccessEntry, asyncio.Future[AccessRecord]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def append(self, entry: AccessEntry) -> AccessRecord:
        """Record ``entry``; return once it is durably in the chain.

        Group commit: the entries of concurrent requests go in one transaction, one lock
        and one durable commit, instead of each request queueing for the chain's lock in
        turn. An entry is written even if the request waiting for it goes away.
        """
        done: asyncio.Future[AccessRecord] = asyncio.get_running_loop().create_future()
        self._pending.append((entry, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_pending())
        return await asyncio.shield(done)

    async def _write_pending(self) -> None:
        while self._pending:
            batch, self._pending = self._pending[:_GROUP], self._pending[_GROUP:]
            try:
                async with self.engine.begin() as connection:
                    records = await self.append_all_in(connection, [e for e, _ in batch])
            except Exception as error:
                for _, done in batch:
                    if not done.done():
                        done.set_exception(error)
            else:
                for (_, done), record in zip(batch, records, strict=True):
                    if not done.done():
                        done.set_result(record)

    async def append_in(self, connection: AsyncConnection, entry: AccessEntry) -> AccessRecord:
        """Append inside the caller's transaction; the chain holds the lock until it ends."""
        return (await self.append_all_in(connection, [entry]))[0]

    async def append_all_in(
        self, connection: AsyncConnection, entries: Sequence[AccessEntry]
    ) -> list[AccessRecord]:
        """Append ``entries`` in order inside the caller's transaction."""
        if connection.dialect.name == "postgresql":
            # The schema is fixed per connection (search_path): ask each connection once.
            key = connection.info.get("guichet_access_log_lock")
            if key is None:
                schema = (await connection.execute(text("select current_schema()"))).scalar_one()
                key = zlib.crc32(f"guichet:access-log:{schema}".encode()) - 2**31
                connection.info["guichet_access_log_lock"] = key
            await connection.execute(text("select pg_advisory_xact_lock(:key)"), {"key": key})
        newest = select(access_log.c.seq, access_log.c.hash).order_by(access_log.c.seq.desc())
        last = (await connection.execute(newest.limit(1))).first()
        seq, prev_hash = (last.seq + 1, last.hash) if last else (1, GENESIS)
        records, rows = [], []
        for entry in entries:
            record = AccessRecord(
                seq=seq,
                at=as_utc(entry.at or datetime.now(UTC)),
                authority=entry.authority,
                agent_id=entry.agent_id,
                roles=sorted(set(entry.roles)),
                purpose=entry.purpose,
                dossier_id=entry.dossier_id,
                categories=list(entry.categories),
                withheld=list(entry.withheld),
                outcome=entry.outcome,
                prev_hash=prev_hash,
                hash="",
                route=entry.route,
                reason=entry.reason,
            )
            digest = chain_hash(prev_hash, record.fields())
            rows.append(
                record.fields()
                | {"at": record.at, "route": entry.route, "reason": entry.reason}
                | {"prev_hash": prev_hash, "hash": digest}
            )
            records.append(replace(record, hash=digest))
            seq, prev_hash = seq + 1, digest
        await connection.execute(access_log.insert(), rows)
        return records

    async def for_dossiers(self, ids: Sequence[str]) -> list[AccessRecord]:
        """Every consultation of these dossiers, oldest first (the data subject's view)."""
        wanted = sorted(set(ids))
        records: list[AccessRecord] = []
        async with self.engine.connect() as connection:
            for start in range(0, len(wanted), 500):
                query = select(access_log).where(
                    access_log.c.dossier_id.in_(wanted[start : start + 500])
                )
                records += [record_of(row) for row in await connection.execute(query)]
        return sorted(records, key=lambda record: record.seq)

    async def verify(self) -> ChainCheck:
        """Recompute the chain from the first entry, page by page (memory stays flat)."""
        prev_hash, expected_seq, count = GENESIS, 1, 0
        while True:
            query = (
                select(access_log)
                .where(access_log.c.seq >= expected_seq)
                .order_by(access_log.c.seq)
                .limit(self.page_size)
            )
            async with self.engine.connect() as connection:
                page = [record_of(row) for row in await connection.execute(query)]
            if not page:
                return ChainCheck(True, count, head=None if count == 0 else prev_hash)
            for record in page:
                count += 1
                problem = None
                if record.seq != expected_seq:
                    problem = f"entry {expected_seq} is missing"
                elif record.prev_hash != prev_hash:
                    problem = "its previous hash does not match the entry before it"
                elif record.hash != chain_hash(prev_hash, record.fields()):
                    problem = "its content does not match its hash"
                if problem:
                    return ChainCheck(False, count, record.seq, problem)
                prev_hash, expected_seq = record.hash, record.seq + 1
