"""Insert rows, or update those whose key is already taken, in one statement.

The statements are written once per table and set of columns, as SQL with typed
parameters, and take the rows as parameters. SQLAlchemy 2.0 does not cache the
compilation of an ``INSERT ... ON CONFLICT`` (its ``on_conflict_*`` clauses have no
cache key), and compiling one per event cost the consumers more than the database did.
Both backends speak the same ``ON CONFLICT`` (PostgreSQL, SQLite ≥ 3.24).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Table, bindparam, text
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import TextClause


async def upsert(
    connection: AsyncConnection, table: Table, key: Mapping[str, Any], values: Mapping[str, Any]
) -> None:
    """``INSERT ... ON CONFLICT (key) DO UPDATE``: one round trip where an update that
    finds nothing followed by an insert took two (projections write a row per event)."""
    await upsert_all(connection, table, list(key), [{**key, **values}])


async def upsert_all(
    connection: AsyncConnection, table: Table, key: Sequence[str], rows: Sequence[Mapping[str, Any]]
) -> None:
    """Upsert many rows, all with the same columns; a later row for a key wins."""
    if rows:
        statement = _upsert(connection.dialect, table, tuple(key), tuple(rows[0]))
        await connection.execute(statement, list(rows))


async def insert_missing(
    connection: AsyncConnection, table: Table, rows: Sequence[Mapping[str, Any]]
) -> int:
    """Insert the rows whose key is not taken yet; leave the others as they are. For one
    row, returns 1 if it was inserted and 0 if its key was taken."""
    if not rows:
        return 0
    statement = _insert_missing(connection.dialect, table, tuple(rows[0]))
    return (await connection.execute(statement, list(rows))).rowcount


@lru_cache(maxsize=1024)
def _upsert(
    dialect: Dialect, table: Table, key: tuple[str, ...], columns: tuple[str, ...]
) -> TextClause:
    quote = dialect.identifier_preparer.quote
    updated = ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in columns if c not in key)
    conflict = f"ON CONFLICT ({', '.join(map(quote, key))}) DO UPDATE SET {updated}"
    return _typed(dialect, table, columns, conflict)


@lru_cache(maxsize=1024)
def _insert_missing(dialect: Dialect, table: Table, columns: tuple[str, ...]) -> TextClause:
    return _typed(dialect, table, columns, "ON CONFLICT DO NOTHING")


def _typed(dialect: Dialect, table: Table, columns: tuple[str, ...], conflict: str) -> TextClause:
    # Python-side defaults apply to Core inserts only: a row must give those columns.
    if missing := [c.name for c in table.c if c.default is not None and c.name not in columns]:
        raise ValueError(f"rows for {table.name} must give {missing} (they have defaults)")
    preparer = dialect.identifier_preparer
    names = ", ".join(preparer.quote(c) for c in columns)
    values = ", ".join(f":{c}" for c in columns)
    sql = f"INSERT INTO {preparer.format_table(table)} ({names}) VALUES ({values}) {conflict}"
    return text(sql).bindparams(*(bindparam(c, type_=table.c[c].type) for c in columns))
