"""The event store on SQL: one implementation per backend behind one port.

Streams are dossiers: one append-only stream per application, versioned from 1.
Appending takes the version the caller read (``expected_version``); if the stream moved
on meanwhile the append fails with ``ConcurrencyConflict`` and nothing is written.
Appended events and their outbox rows are written in the same transaction, so an
event is never stored without being queued for publication, nor published without
being stored.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import orjson
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from guichet_core.kernel.bus.port import BusMessage
from guichet_core.kernel.store.database import single_statements
from guichet_core.kernel.store.records import ConcurrencyConflict, NewEvent, RecordedEvent
from guichet_core.kernel.store.tables import events, outbox, processed_messages
from guichet_core.kernel.store.unit_of_work import (
    OutboxBatch,
    StreamVersionTaken,
    UnitOfWork,
    record_of,
)
from guichet_core.kernel.store.upsert import insert_missing

__all__ = [  # the unit of work is opened here, and imported from here by the services
    "OutboxBatch",
    "SqlEventStore",
    "SqliteEventStore",
    "UnitOfWork",
    "event_store_for",
]


class SqlEventStore:
    """What both SQL backends share; subclasses supply locking and upserts."""

    def __init__(self, engine: AsyncEngine, *, source: str) -> None:
        self.engine = engine
        self.source = source

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[UnitOfWork]:
        try:
            async with self.engine.begin() as connection:
                yield UnitOfWork(connection, self)
        except ConcurrencyConflict as conflict:
            if conflict.actual is not None:
                raise
            # Under READ COMMITTED a statement reads the snapshot taken when it began, and
            # PostgreSQL's version check begins before the ordering lock is granted: an
            # append that waited for a concurrent one to the same stream checks against
            # the version before it, and learns of it from the unique (stream, version)
            # key, which aborts its transaction. Now that it is rolled back (its lock and
            # connection released), read the version the winner left: a lost race is
            # rare, one more query then is cheaper than a version query after the lock
            # on every append.
            actual = await self._version_now(conflict.stream_id)
            raise ConcurrencyConflict(conflict.stream_id, conflict.expected, actual) from conflict

    async def _version_now(self, stream_id: str) -> int:
        query = select(func.coalesce(func.max(events.c.version), 0)).where(
            events.c.stream_id == stream_id
        )
        async with single_statements(self.engine).connect() as connection:
            return int((await connection.execute(query)).scalar_one())

    async def append(
        self,
        stream_id: str,
        new_events: Sequence[NewEvent],
        *,
        expected_version: int,
        publish_to: str | None = None,
    ) -> list[RecordedEvent]:
        async with self.unit_of_work() as uow:
            return await uow.append(
                stream_id, new_events, expected_version=expected_version, publish_to=publish_to
            )

    async def read_stream(self, stream_id: str) -> list[RecordedEvent]:
        async with self.engine.connect() as connection:
            return await UnitOfWork(connection, self).read_stream(stream_id)

    async def read_all(self, *, after: int = 0, limit: int = 1000) -> list[RecordedEvent]:
        """Events in global order with a position greater than ``after``."""
        query = select(events).where(events.c.position > after).order_by(events.c.position)
        async with self.engine.connect() as connection:
            return [record_of(row) for row in await connection.execute(query.limit(limit))]

    async def iter_all(self, *, after: int = 0, batch: int = 5000) -> AsyncIterator[RecordedEvent]:
        """Every event from ``after`` on, read page by page so memory stays flat."""
        while page := await self.read_all(after=after, limit=batch):
            for event in page:
                yield event
            after = page[-1].position

    async def outbox_backlog(self) -> int:
        query = select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
        async with self.engine.connect() as connection:
            return int((await connection.execute(query)).scalar_one())

    @asynccontextmanager
    async def claim_outbox(self, limit: int) -> AsyncIterator[OutboxBatch]:
        """Yield the oldest unpublished rows; what the batch marks published commits at the end."""
        async with self.engine.begin() as connection:
            if not await self._lead_relay(connection):
                yield OutboxBatch(connection=connection, ids=[], messages=[])
                return
            query = (
                select(outbox)
                .where(outbox.c.published_at.is_(None))
                .order_by(outbox.c.id)
                .limit(limit)
            )
            rows = list(await connection.execute(query))
            yield OutboxBatch(
                connection=connection,
                ids=[row.id for row in rows],
                messages=[
                    BusMessage(
                        topic=row.topic,
                        key=row.message_key,
                        value=row.value,
                        headers=tuple((k, v.encode("latin-1")) for k, v in row.headers),
                    )
                    for row in rows
                ],
            )

    async def purge_published(self, *, before: datetime) -> int:
        """Forget outbox rows published before ``before`` (the events stay in the store)."""
        async with self.engine.begin() as connection:
            result = await connection.execute(outbox.delete().where(outbox.c.published_at < before))
            return int(result.rowcount or 0)

    async def _serialise_appends(self, connection: AsyncConnection, stream_id: str) -> int:
        """Make global positions commit in order (readers of ``read_all`` never skip one);
        return the stream's current version."""
        return await UnitOfWork(connection, self).stream_version(stream_id)

    async def _lead_relay(self, connection: AsyncConnection) -> bool:
        return True

    async def _insert_events(
        self, connection: AsyncConnection, rows: list[dict[str, Any]]
    ) -> list[int]:
        """Insert event rows; their positions, in order. ``StreamVersionTaken`` if another
        writer appended to the stream first."""
        try:
            result = await connection.execute(
                events.insert().returning(events.c.position, sort_by_parameter_order=True), rows
            )
        except IntegrityError as error:
            if "event_id" in str(error.orig):
                raise
            raise StreamVersionTaken(str(error.orig)) from error
        return [row.position for row in result]

    async def _insert_outbox(self, connection: AsyncConnection, rows: list[dict[str, Any]]) -> None:
        await connection.execute(outbox.insert(), rows)

    async def _insert_processed(self, connection: AsyncConnection, row: dict[str, Any]) -> bool:
        return await insert_missing(connection, processed_messages, [row]) == 1


class SqliteEventStore(SqlEventStore):
    """Embedded default. ``BEGIN IMMEDIATE`` already serialises writers."""

    async def read_all(self, *, after: int = 0, limit: int = 1000) -> list[RecordedEvent]:
        # Replays read millions of events: straight from the driver, outside a
        # transaction (a read in WAL mode takes no lock; SQLAlchemy's would begin
        # IMMEDIATE), decoding the columns as SQLAlchemy stores them.
        async with self.engine.connect() as connection:
            driver = (await connection.get_raw_connection()).driver_connection
            assert driver is not None
            cursor = await driver.execute(
                READ_ALL.replace("$1", "?").replace("$2", "?"), (after, limit)
            )
            rows = await cursor.fetchall()
            await cursor.close()
        return [
            RecordedEvent(
                stream_id=row[0],
                version=row[1],
                position=row[2],
                event_id=UUID(row[3]),
                event_type=row[4],
                schema_version=row[5],
                data=orjson.loads(row[6]),
                occurred_at=_sqlite_moment(row[7]),
                recorded_at=_sqlite_moment(row[8]),
                metadata=orjson.loads(row[9]),
            )
            for row in rows
        ]


def _sqlite_moment(text: str) -> datetime:
    """A moment as SQLAlchemy stores it in SQLite: ISO text, UTC, without the zone."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


READ_ALL = """
select stream_id, version, position, event_id, event_type, schema_version, data,
       occurred_at, recorded_at, metadata
from events where position > $1 order by position limit $2
"""


def event_store_for(engine: AsyncEngine, *, source: str) -> SqlEventStore:
    """The adapter that matches the engine's backend."""
    if engine.dialect.name == "postgresql":
        # Imported here: the PostgreSQL adapter builds on this module's base class.
        from guichet_core.kernel.store.postgres import PostgresEventStore

        return PostgresEventStore(engine, source=source)
    return SqliteEventStore(engine, source=source)
