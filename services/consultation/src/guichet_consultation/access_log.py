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
import hashlib
import json
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    Row,
    String,
    Table,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from guichet_consultation.policy import DataCategory, Verdict
from guichet_core.auth import Caller
from guichet_core.store.database import as_utc

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

metadata = MetaData()
JsonType = JSON().with_variant(JSONB(), "postgresql")
Seq = BigInteger().with_variant(Integer(), "sqlite")

access_log = Table(
    "access_log",
    metadata,
    Column("seq", Seq, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("authority", String(20), nullable=False),
    Column("agent_id", String(200), nullable=False),
    Column("roles", JsonType, nullable=False),
    Column("purpose", String(200), nullable=True),
    Column("dossier_id", String(64), nullable=True),
    Column("categories", JsonType, nullable=False),
    Column("withheld", JsonType, nullable=False),
    Column("outcome", String(10), nullable=False),
    Column("route", String(220), nullable=True),  # a refusal's "service METHOD /template"
    Column("reason", String(40), nullable=True),  # a refusal's category (not_permitted, …)
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)
Index("ix_access_log_dossier", access_log.c.dossier_id)

Outcome = Literal["allowed", "partial", "denied"]
OUTCOMES: frozenset[str] = frozenset({"allowed", "partial", "denied"})
GENESIS = "0" * 64  # the previous hash of the first entry


@dataclass(frozen=True)
class AccessEntry:
    """One consultation, as the consultation service saw it."""

    authority: str
    agent_id: str
    roles: Sequence[str]
    purpose: str | None
    dossier_id: str | None  # None for a search
    categories: Sequence[str]  # the data categories read
    withheld: Sequence[str]  # the data categories refused
    outcome: str  # an ``Outcome``: "allowed" | "partial" | "denied" (checked)
    at: datetime | None = None  # now, when None
    route: str | None = None  # a refused attempt elsewhere: "service METHOD /template"
    reason: str | None = None  # and its category: "not_permitted", "not_found"

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {sorted(OUTCOMES)}, not {self.outcome!r}")
        if not self.authority or not self.agent_id:
            raise ValueError("an access entry names its authority and agent")


@dataclass(frozen=True)
class AccessRecord:
    """A stored entry: what the data subject and the supervisor read."""

    seq: int
    at: datetime
    authority: str
    agent_id: str
    roles: list[str]
    purpose: str | None
    dossier_id: str | None
    categories: list[str]
    withheld: list[str]
    outcome: str
    prev_hash: str
    hash: str
    route: str | None = None
    reason: str | None = None

    def fields(self) -> dict[str, Any]:
        """The hashed fields, in canonical form."""
        return {
            "seq": self.seq,
            "at": as_utc(self.at).isoformat(timespec="microseconds"),
            "authority": self.authority,
            "agent_id": self.agent_id,
            "roles": list(self.roles),
            "purpose": self.purpose,
            "dossier_id": self.dossier_id,
            "categories": list(self.categories),
            "withheld": list(self.withheld),
            "outcome": self.outcome,
            # Hashed when present only: the entries written before these existed keep
            # their hashes.
            **({"route": self.route} if self.route is not None else {}),
            **({"reason": self.reason} if self.reason is not None else {}),
        }


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    entries: int  # entries read, up to and including the first broken one
    first_broken_seq: int | None = None
    detail: str | None = None  # what is wrong at ``first_broken_seq``
    head: str | None = field(default=None)  # the newest entry's hash, when ``ok``


def chain_hash(prev_hash: str, fields: Mapping[str, Any]) -> str:
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{prev_hash}\n{canonical}".encode()).hexdigest()


def _record(row: Row[Any]) -> AccessRecord:
    return AccessRecord(
        seq=row.seq,
        at=as_utc(row.at),
        authority=row.authority,
        agent_id=row.agent_id,
        roles=list(row.roles),
        purpose=row.purpose,
        dossier_id=row.dossier_id,
        categories=list(row.categories),
        withheld=list(row.withheld),
        outcome=row.outcome,
        prev_hash=row.prev_hash,
        hash=row.hash,
        route=row.route,
        reason=row.reason,
    )


def entry_for(
    caller: Caller,
    verdicts: Mapping[DataCategory, Verdict],
    *,
    dossier_id: str | None,
    requested: Iterable[DataCategory] | None = None,
) -> AccessEntry:
    """The entry for one consultation judged by ``policy.evaluate`` (of ``requested`` only)."""
    asked = list(requested) if requested is not None else list(verdicts)
    read = [c.value for c in DataCategory if c in asked and verdicts[c].allowed]
    withheld = [c.value for c in DataCategory if c in asked and not verdicts[c].allowed]
    outcome: Outcome = "denied" if not read else "partial" if withheld else "allowed"
    return AccessEntry(
        caller.authority.value,
        caller.agent_id,
        sorted(caller.roles),
        caller.purpose,
        dossier_id,
        read,
        withheld,
        outcome,
    )


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
                records += [_record(row) for row in await connection.execute(query)]
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
                page = [_record(row) for row in await connection.execute(query)]
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
