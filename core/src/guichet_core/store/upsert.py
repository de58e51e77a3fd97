"""Insert rows, or update those whose key is already taken, in one statement."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

_CHUNK = 500  # rows per statement: well under either backend's limit on parameters


async def upsert(
    connection: AsyncConnection, table: Table, key: Mapping[str, Any], values: Mapping[str, Any]
) -> None:
    """``INSERT ... ON CONFLICT (key) DO UPDATE``: one round trip where an update that
    finds nothing followed by an insert took two (projections write a row per event)."""
    await upsert_all(connection, table, list(key), [{**key, **values}])


async def upsert_all(
    connection: AsyncConnection, table: Table, key: Sequence[str], rows: Sequence[Mapping[str, Any]]
) -> None:
    """Upsert many rows (all with the same columns), a chunk per statement."""
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    for start in range(0, len(rows), _CHUNK):
        chunk = rows[start : start + _CHUNK]
        statement = insert(table).values(list(chunk))
        updated = [name for name in chunk[0] if name not in key]
        await connection.execute(
            statement.on_conflict_do_update(
                index_elements=list(key), set_={name: statement.excluded[name] for name in updated}
            )
        )
