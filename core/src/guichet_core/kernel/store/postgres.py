"""The PostgreSQL event store: appends serialised per schema, rows written by asyncpg.

The two inserts of every append go straight to asyncpg, in the transaction the unit of
work opened: one statement each whatever the number of rows.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from guichet_core.kernel.store.database import single_statements
from guichet_core.kernel.store.records import RecordedEvent
from guichet_core.kernel.store.sql import READ_ALL, SqlEventStore
from guichet_core.kernel.store.unit_of_work import StreamVersionTaken

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
            rows = await driver.fetch(READ_ALL, after, limit)
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
_INSERT_OUTBOX = """
insert into outbox (event_id, topic, message_key, headers, value, created_at)
select t.event_id, t.topic, t.message_key, t.headers, t.value, $1
from unnest($2::uuid[], $3::varchar[], $4::bytea[], $5::jsonb[], $6::bytea[])
     with ordinality as t(event_id, topic, message_key, headers, value, n)
order by t.n
"""
