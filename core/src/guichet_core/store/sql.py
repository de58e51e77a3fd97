"""The event store on SQL: one implementation per backend behind one port.

Streams are dossiers: one append-only stream per application, versioned from 1.
Appending takes the version the caller read (``expected_version``); if the stream moved
on meanwhile the append fails with ``ConcurrencyConflict`` and nothing is written.
Appended events and their outbox rows are written in the same transaction, so an
event is never stored without being queued for publication, nor published without
being stored.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg
import orjson
from sqlalchemy import Row, func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from guichet_core.bus.port import BusMessage
from guichet_core.codec import to_message
from guichet_core.store.database import as_utc, single_statements
from guichet_core.store.records import ConcurrencyConflict, NewEvent, RecordedEvent
from guichet_core.store.tables import events, outbox, processed_messages
from guichet_core.store.upsert import insert_missing


def _record(row: Row[Any]) -> RecordedEvent:
    return RecordedEvent(
        stream_id=row.stream_id,
        version=row.version,
        position=row.position,
        event_id=row.event_id,
        event_type=row.event_type,
        schema_version=row.schema_version,
        data=row.data,
        occurred_at=as_utc(row.occurred_at),
        recorded_at=as_utc(row.recorded_at),
        metadata=row.metadata,
    )


class UnitOfWork:
    """One transaction of one service: append events, queue them, record processed messages.

    Obtained from ``SqlEventStore.unit_of_work()``, which commits when the block ends
    without error and rolls everything back otherwise. Handlers never commit.
    """

    def __init__(self, connection: AsyncConnection, store: SqlEventStore) -> None:
        self.connection = connection
        self._store = store

    async def append(
        self,
        stream_id: str,
        new_events: Sequence[NewEvent],
        *,
        expected_version: int | None,
        publish_to: str | None = None,
    ) -> list[RecordedEvent]:
        """Append at ``expected_version`` (0 for a new stream; None: after whatever the
        stream holds, for events recorded as received); queue for ``publish_to``."""
        if not new_events:
            return []
        actual = await self._store._serialise_appends(self.connection, stream_id)
        if expected_version is None:
            expected_version = actual
        elif actual != expected_version:
            raise ConcurrencyConflict(stream_id, expected_version, actual)
        now = datetime.now(UTC)
        rows = [
            {
                "stream_id": stream_id,
                "version": expected_version + offset,
                "event_id": event.event_id,
                "event_type": event.event_type,
                "schema_version": event.schema_version,
                "data": event.data,
                "metadata": event.metadata,
                "occurred_at": event.occurred_at,
                "recorded_at": now,
            }
            for offset, event in enumerate(new_events, start=1)
        ]
        try:
            positions = await self._store._insert_events(self.connection, rows)
        except StreamVersionTaken as error:
            # The version the winner left is read once this transaction is rolled back
            # (``SqlEventStore.unit_of_work``).
            raise ConcurrencyConflict(stream_id, expected_version, None) from error
        recorded = [
            RecordedEvent(
                stream_id=stream_id,
                version=expected_version + offset,
                position=position,
                event_id=event.event_id,
                event_type=event.event_type,
                schema_version=event.schema_version,
                data=event.data,
                occurred_at=event.occurred_at,
                recorded_at=now,
                metadata=dict(event.metadata),
            )
            for offset, (position, event) in enumerate(zip(positions, new_events, strict=True), 1)
        ]
        if publish_to:
            messages = [
                to_message(event, topic=publish_to, source=self._store.source, subject=stream_id)
                for event in recorded
            ]
            await self.enqueue(messages, event_ids=[e.event_id for e in recorded])
        return recorded

    async def enqueue(self, messages: Sequence[BusMessage], *, event_ids: Sequence[Any]) -> None:
        """Queue messages for the relay, in this transaction."""
        now = datetime.now(UTC)
        await self._store._insert_outbox(
            self.connection,
            [
                {
                    "event_id": event_id,
                    "topic": message.topic,
                    "message_key": message.key,
                    "headers": [[k, v.decode("latin-1")] for k, v in message.headers],
                    "value": message.value,
                    "created_at": now,
                }
                for message, event_id in zip(messages, event_ids, strict=True)
            ],
        )

    async def stream_version(self, stream_id: str) -> int:
        query = select(func.coalesce(func.max(events.c.version), 0)).where(
            events.c.stream_id == stream_id
        )
        return int((await self.connection.execute(query)).scalar_one())

    async def contains(self, event_id: UUID) -> bool:
        """Whether this store already holds the event (e.g. one it appended itself)."""
        query = select(events.c.position).where(events.c.event_id == event_id)
        return (await self.connection.execute(query)).first() is not None

    async def read_stream(self, stream_id: str) -> list[RecordedEvent]:
        query = select(events).where(events.c.stream_id == stream_id).order_by(events.c.version)
        return [_record(row) for row in await self.connection.execute(query)]

    async def mark_processed(self, *, consumer: str, event_id: str, topic: str) -> bool:
        """Record that ``consumer`` handled ``event_id``; False when it already had."""
        return await self._store._insert_processed(
            self.connection,
            {
                "consumer": consumer,
                "event_id": event_id,
                "topic": topic,
                "processed_at": datetime.now(UTC),
            },
        )


@dataclass
class OutboxBatch:
    """Unpublished outbox rows claimed by the relay, oldest first, in the claiming transaction."""

    connection: AsyncConnection
    ids: list[int]
    messages: list[BusMessage]

    async def mark_published(self) -> None:
        if self.ids:
            await self.connection.execute(
                update(outbox)
                .where(outbox.c.id.in_(self.ids))
                .values(published_at=datetime.now(UTC))
            )


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
            return [_record(row) for row in await connection.execute(query.limit(limit))]

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


class StreamVersionTaken(Exception):
    """The (stream, version) an append wanted is taken: another writer came first."""


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
                _READ_ALL.replace("$1", "?").replace("$2", "?"), (after, limit)
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


_LOCK_AND_VERSION = text(
    "select (select 0 from pg_advisory_xact_lock(:key))"
    " + coalesce((select max(version) from events where stream_id = :stream), 0)"
)


class PostgresEventStore(SqlEventStore):
    """Production backend. A transaction-scoped advisory lock per schema serialises
    appends, so a reader following positions never passes a gap that a slower
    transaction fills later; the lock is released at commit, so it is held briefly.
    """

    _schema: str | None = None

    async def _lock_key(self, connection: AsyncConnection, purpose: str) -> int:
        # The schema is fixed per engine (search_path): ask once, not on every append.
        if self._schema is None:
            self._schema = (await connection.execute(text("select current_schema()"))).scalar_one()
        return zlib.crc32(f"guichet:{purpose}:{self._schema}".encode()) - 2**31

    async def _serialise_appends(self, connection: AsyncConnection, stream_id: str) -> int:
        # The lock and the version in one round trip: the lock is held until commit, so
        # every statement inside it is paid by every other writer of the schema. (The
        # unique (stream_id, version) key, not this lock, guards the version check.)
        key = await self._lock_key(connection, "append")
        return int(
            (
                await connection.execute(_LOCK_AND_VERSION, {"key": key, "stream": stream_id})
            ).scalar_one()
        )

    async def _lead_relay(self, connection: AsyncConnection) -> bool:
        # Two replicas of a service must not publish the same rows out of order.
        key = await self._lock_key(connection, "relay")
        query = text("select pg_try_advisory_xact_lock(:key)")
        return bool((await connection.execute(query, {"key": key})).scalar_one())

    # The two inserts of every append go straight to asyncpg, in the transaction the
    # unit of work opened (its first statement, the lock, has begun it): one statement
    # each whatever the number of rows, and without SQLAlchemy's per-statement work,
    # which profiling showed to cost three times the driver's own (bench/append.py).

    async def read_all(self, *, after: int = 0, limit: int = 1000) -> list[RecordedEvent]:
        # Replays read millions of events: straight from asyncpg (a prepared statement,
        # rows decoded in C) rather than through SQLAlchemy's result machinery.
        async with single_statements(self.engine).connect() as connection:
            driver = (await connection.get_raw_connection()).driver_connection
            assert driver is not None
            rows = await driver.fetch(_READ_ALL, after, limit)
        return [
            RecordedEvent(
                stream_id=row[0],
                version=row[1],
                position=row[2],
                event_id=row[3],
                event_type=row[4],
                schema_version=row[5],
                data=row[6],
                occurred_at=row[7],
                recorded_at=row[8],
                metadata=row[9],
            )
            for row in rows
        ]

    async def _insert_events(
        self, connection: AsyncConnection, rows: list[dict[str, Any]]
    ) -> list[int]:
        driver = await _driver(connection)
        try:
            records = await driver.fetch(
                _INSERT_EVENTS,
                rows[0]["stream_id"],
                rows[0]["version"] - 1,
                rows[0]["recorded_at"],
                [row["event_id"] for row in rows],
                [row["event_type"] for row in rows],
                [row["schema_version"] for row in rows],
                [_json(row["data"]) for row in rows],
                [_json(row["metadata"]) for row in rows],
                [row["occurred_at"] for row in rows],
            )
        except asyncpg.UniqueViolationError as error:
            if error.constraint_name == "uq_events_stream_version":
                raise StreamVersionTaken(str(error)) from error
            raise IntegrityError(_INSERT_EVENTS, None, error) from error
        return [record["position"] for record in sorted(records, key=lambda r: r["version"])]

    async def _insert_outbox(self, connection: AsyncConnection, rows: list[dict[str, Any]]) -> None:
        driver = await _driver(connection)
        await driver.execute(
            _INSERT_OUTBOX,
            rows[0]["created_at"],
            [row["event_id"] for row in rows],
            [row["topic"] for row in rows],
            [row["message_key"] for row in rows],
            [_json(row["headers"]) for row in rows],
            [row["value"] for row in rows],
        )


def _sqlite_moment(text: str) -> datetime:
    """A moment as SQLAlchemy stores it in SQLite: ISO text, UTC, without the zone."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def _driver(connection: AsyncConnection) -> Any:
    """The asyncpg connection under a SQLAlchemy one, inside its begun transaction."""
    driver = (await connection.get_raw_connection()).driver_connection
    # SQLAlchemy begins lazily, at its first statement: a raw one must come after it.
    if driver is None or not driver.is_in_transaction():
        raise RuntimeError("a raw write outside the unit of work's transaction")
    return driver


def _json(value: Any) -> str:
    # SQLAlchemy's asyncpg dialect registers a jsonb codec that takes JSON text.
    return json.dumps(value, separators=(",", ":"))


# Rows leave unnest in array order and take their positions in that order (the
# positions come back sorted by version, whatever order RETURNING keeps).
_INSERT_EVENTS = """
insert into events (stream_id, version, event_id, event_type, schema_version, data, metadata,
                    occurred_at, recorded_at)
select $1, $2 + t.n, t.event_id, t.event_type, t.schema_version, t.data, t.metadata,
       t.occurred_at, $3
from unnest($4::uuid[], $5::varchar[], $6::int[], $7::jsonb[], $8::jsonb[], $9::timestamptz[])
     with ordinality as t(event_id, event_type, schema_version, data, metadata, occurred_at, n)
order by t.n
returning version, position
"""
_READ_ALL = """
select stream_id, version, position, event_id, event_type, schema_version, data,
       occurred_at, recorded_at, metadata
from events where position > $1 order by position limit $2
"""
_INSERT_OUTBOX = """
insert into outbox (event_id, topic, message_key, headers, value, created_at)
select t.event_id, t.topic, t.message_key, t.headers, t.value, $1
from unnest($2::uuid[], $3::varchar[], $4::bytea[], $5::jsonb[], $6::bytea[])
     with ordinality as t(event_id, topic, message_key, headers, value, n)
order by t.n
"""


def event_store_for(engine: AsyncEngine, *, source: str) -> SqlEventStore:
    """The adapter that matches the engine's backend."""
    if engine.dialect.name == "postgresql":
        return PostgresEventStore(engine, source=source)
    return SqliteEventStore(engine, source=source)
