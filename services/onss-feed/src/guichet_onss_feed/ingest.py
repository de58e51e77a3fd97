"""Valid records into dossier streams: link, deduplicate, seal, append; one batch per
transaction.

Idempotency: every record has a natural key (``Declaration.key``: the DIMONA number and
direction, the LIMOSA number, DmfA's quarter + employer + NISS, INASTI's NISS + start).
Per linked dossier the feed keeps a keyed hash of that key and a keyed digest of the
record's content. Re-sending the same record changes nothing (a *duplicate*); re-sending
a key with *different* content is rejected as a conflicting correction: sources correct
a declaration by cancelling and re-declaring it under a new number (DIMONA, LIMOSA) or
in a later quarter's regularisation, which then arrives as a new record.

Data minimisation (Art. 11): a record that links to no dossier is counted as *unlinked*
and nothing of it is kept, not even its key; re-sending it once its dossier exists
links it then.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from guichet_core.kernel.codec import new_event
from guichet_core.kernel.store.records import ConcurrencyConflict, NewEvent
from guichet_core.kernel.store.sql import UnitOfWork
from guichet_core.service import Runtime
from guichet_core.stores.blind_index import BlindIndex, blind_index_for
from guichet_core.stores.vault import KeyShredded
from guichet_onss_feed.linking import dossiers_for
from guichet_onss_feed.records import Declaration
from guichet_onss_feed.tables import processed_declarations


@dataclass
class ImportResult:
    """What a batch or an import did, record by record (line numbers are 1-based)."""

    max_reported: int = 10_000
    records: int = 0
    accepted: int = 0  # made at least one event
    duplicates: int = 0  # already received, same content
    unlinked: int = 0  # concerns no dossier: counted, not kept
    events: int = 0  # one per linked dossier
    rejected_total: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    # What is durable: a retry resumes after last_committed_line (a re-sent record is a
    # duplicate anyway, so resuming earlier changes nothing).
    committed_batches: int = 0
    last_committed_line: int = 0

    def reject(self, line: int, reason: str) -> None:
        self.rejected_total += 1
        if len(self.rejected) < self.max_reported:
            self.rejected.append({"line": line, "reason": reason})

    def add(self, other: ImportResult) -> None:
        self.accepted += other.accepted
        self.duplicates += other.duplicates
        self.unlinked += other.unlinked
        self.events += other.events
        for rejection in other.rejected:
            self.reject(rejection["line"], rejection["reason"])

    def committed(self, line: int) -> None:
        self.committed_batches += 1
        self.last_committed_line = line

    def progress(self) -> dict[str, int]:
        """What an import that stopped had already committed, for its error answer."""
        return {
            "records": self.records,
            "committed_batches": self.committed_batches,
            "last_committed_line": self.last_committed_line,
        }

    def answer(self) -> dict[str, Any]:
        return {
            **self.progress(),
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "unlinked": self.unlinked,
            "events": self.events,
            "rejected_total": self.rejected_total,
            "rejected": sorted(self.rejected, key=lambda r: int(r["line"])),
        }


def _canonical(content: dict[str, Any]) -> str:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)


@dataclass(frozen=True)
class _Record:
    """A valid record of the batch, with its line and its keyed hash and digest."""

    line: int
    declaration: Declaration
    key_hash: str
    digest: str


@dataclass
class _Writes:
    """What one batch's transaction writes: events per dossier, processed-record rows."""

    pending: dict[str, list[NewEvent]] = field(default_factory=dict)
    rows: list[dict[str, Any]] = field(default_factory=list)

    def add(self, record: _Record, dossier_id: str, event: NewEvent, now: datetime) -> None:
        self.pending.setdefault(dossier_id, []).append(event)
        self.rows.append(
            {
                "key_hash": record.key_hash,
                "dossier_id": dossier_id,
                "source": record.declaration.source.value,
                "digest": record.digest,
                "event_id": str(event.event_id),
                "processed_at": now,
            }
        )


class Feed:
    """Ingests validated declarations into the feed's event store, batch by batch."""

    def __init__(self, runtime: Runtime, index: BlindIndex | None = None) -> None:
        self.runtime = runtime
        self.index = index or blind_index_for(runtime.settings)

    async def ingest(self, batch: Sequence[tuple[int, Declaration]], result: ImportResult) -> None:
        """One transaction; retried once if a concurrent import took the same records."""
        for attempt in (1, 2):
            try:
                tally = await self._ingest_once(batch)
            except (IntegrityError, ConcurrencyConflict):
                if attempt == 2:
                    raise
                continue
            result.add(tally)
            return

    async def _ingest_once(self, batch: Sequence[tuple[int, Declaration]]) -> ImportResult:
        tally = ImportResult()
        hashes = {
            id(d): (self.index.of(d.key), self.index.of(_canonical(d.content()))) for _, d in batch
        }
        subjects = {niss: self.index.of(niss) for niss in {d.niss for _, d in batch}}
        now = datetime.now(UTC)
        async with self.runtime.unit_of_work() as uow:
            links = await dossiers_for(uow.connection, subjects.values())
            # the batch's dossier keys in one query, not a key-store transaction per event
            await self.runtime.vault.preload(
                [link.dossier_id for found in links.values() for link in found]
            )
            seen = await self._seen(uow, [key for key, _ in hashes.values()])
            writes = _Writes()
            for line, declaration in batch:
                key_hash, digest = hashes[id(declaration)]
                targets = [
                    link.dossier_id
                    for link in links.get(subjects[declaration.niss], [])
                    if declaration.employer is None or link.employer == declaration.employer
                ]
                record = _Record(line, declaration, key_hash, digest)
                await self._route(record, targets, seen=seen, writes=writes, tally=tally, now=now)
            await self._append(uow, writes.pending)
            if writes.rows:
                await uow.connection.execute(processed_declarations.insert(), writes.rows)
        return tally

    async def _route(
        self,
        record: _Record,
        targets: list[str],
        *,
        seen: dict[tuple[str, str], str],
        writes: _Writes,
        tally: ImportResult,
        now: datetime,
    ) -> None:
        """One record: unlinked, a conflicting correction, a duplicate, or an event for
        each linked dossier that has not had it yet."""
        if not targets:
            tally.unlinked += 1
            return
        key_hash, declaration = record.key_hash, record.declaration
        earlier = [seen[(key_hash, t)] for t in targets if (key_hash, t) in seen]
        if any(previous != record.digest for previous in earlier):
            tally.reject(
                record.line,
                f"conflicting correction: this {declaration.source.value} "
                "declaration was already received with other content",
            )
            return
        fresh = [t for t in targets if (key_hash, t) not in seen]
        if not fresh:
            tally.duplicates += 1
            return
        made = 0
        for dossier_id in fresh:
            event = await self._event(declaration, dossier_id, key_hash, now)
            if event is None:
                continue  # the dossier was deleted (Art. 27)
            writes.add(record, dossier_id, event, now)
            seen[(key_hash, dossier_id)] = record.digest
            made += 1
        tally.events += made
        if made:
            tally.accepted += 1
        else:
            tally.unlinked += 1

    async def _seen(self, uow: UnitOfWork, key_hashes: list[str]) -> dict[tuple[str, str], str]:
        wanted = sorted(set(key_hashes))
        seen: dict[tuple[str, str], str] = {}
        table = processed_declarations
        for start in range(0, len(wanted), 500):
            query = select(table.c.key_hash, table.c.dossier_id, table.c.digest).where(
                table.c.key_hash.in_(wanted[start : start + 500])
            )
            for row in await uow.connection.execute(query):
                seen[(row.key_hash, row.dossier_id)] = row.digest
        return seen

    async def _event(
        self, declaration: Declaration, dossier_id: str, key_hash: str, now: datetime
    ) -> NewEvent | None:
        try:
            sealed = await self.runtime.vault.seal(dossier_id, declaration.personal)
        except KeyShredded:
            return None
        event = declaration.model.model_validate(
            {
                **declaration.clear,
                "application_id": uuid.UUID(dossier_id),
                "record_key": key_hash,
                "received_at": now,
                "personal": sealed,
            }
        )
        return new_event(event, now=now)

    async def _append(self, uow: UnitOfWork, pending: dict[str, list[NewEvent]]) -> None:
        topic = self.runtime.topic
        for dossier_id, events in pending.items():
            # After whatever the stream holds: the feed adds to a dossier, it decides nothing.
            await uow.append(dossier_id, events, expected_version=None, publish_to=topic)
