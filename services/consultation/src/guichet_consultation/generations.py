"""Generations of the projection tables, so a rebuild never interrupts reads.

Each generation has its own tables (``dossier_views_g<N>``, ``dossier_subjects_g<N>``).
Reads use the *active* generation. A rebuild creates a *building* one and replays every
topic from the beginning into it, while the live consumer feeds both (the fold is
idempotent); once the rebuild has caught up, the new generation becomes active in one
transaction and the old one is retired, then dropped.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    Row,
    String,
    Table,
    Text,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from guichet_consultation.projection import View, normalised
from guichet_core.stores.blind_index import BlindIndex

__all__ = [
    "BlindIndex",
    "GenerationTables",
    "Generations",
    "load_rows",
    "load_view",
    "tables_of",
]

_meta = MetaData()
projection_generations = Table(
    "projection_generations",
    _meta,
    Column("generation", Integer, primary_key=True),
    Column("state", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("activated_at", DateTime(timezone=True), nullable=True),
)


@dataclass(frozen=True)
class GenerationTables:
    generation: int
    views: Table
    subjects: Table


@functools.cache
def tables_of(generation: int) -> GenerationTables:
    # Built once per generation: new Table objects on every event would cost their
    # construction and defeat SQLAlchemy's compiled-statement cache, keyed on them.
    metadata = MetaData()
    views = Table(
        f"dossier_views_g{generation}",
        metadata,
        Column("dossier_id", String(64), primary_key=True),
        Column("view", JSON, nullable=False),
        Column("niss_index", String(64), nullable=True),
        Column("enterprise_number", String(10), nullable=True),
        Column("updated_at", DateTime(timezone=True), nullable=False),
    )
    Index(f"ix_views_g{generation}_niss", views.c.niss_index)
    Index(f"ix_views_g{generation}_enterprise", views.c.enterprise_number)
    subjects = Table(
        f"dossier_subjects_g{generation}",
        metadata,
        Column("dossier_id", String(64), primary_key=True),
        Column("subject_index", String(64), primary_key=True),
        Column("role", String(20), nullable=False),  # worker | employer | mandatary
    )
    Index(f"ix_subjects_g{generation}_subject", subjects.c.subject_index)
    return GenerationTables(generation, views, subjects)


class Generations:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def _states(self, connection: AsyncConnection) -> dict[int, str]:
        rows = await connection.execute(select(projection_generations))
        return {row.generation: row.state for row in rows}

    async def ensure_active(self) -> int:
        async with self.engine.begin() as connection:
            states = await self._states(connection)
            active = [g for g, state in states.items() if state == "active"]
            if active:
                return max(active)
            generation = max(states, default=0) + 1
            await self._create(connection, generation, "active")
            return generation

    async def _create(self, connection: AsyncConnection, generation: int, state: str) -> None:
        tables = tables_of(generation)
        await connection.run_sync(tables.views.metadata.create_all)
        now = datetime.now(UTC)
        await connection.execute(
            projection_generations.insert().values(
                generation=generation,
                state=state,
                created_at=now,
                activated_at=now if state == "active" else None,
            )
        )

    async def active(self, connection: AsyncConnection) -> GenerationTables:
        states = await self._states(connection)
        active = [g for g, state in states.items() if state == "active"]
        if not active:
            raise LookupError("no active projection generation")
        return tables_of(max(active))

    async def writable(self, connection: AsyncConnection) -> list[GenerationTables]:
        states = await self._states(connection)
        return [tables_of(g) for g, s in sorted(states.items()) if s in ("active", "building")]

    async def start_building(self) -> int:
        async with self.engine.begin() as connection:
            states = await self._states(connection)
            if "building" in states.values():
                raise RuntimeError("a rebuild is already in progress")
            generation = max(states, default=0) + 1
            await self._create(connection, generation, "building")
            return generation

    async def activate(self, generation: int) -> list[int]:
        """Make ``generation`` the one reads use; retire and drop the previous ones."""
        async with self.engine.begin() as connection:
            states = await self._states(connection)
            older = [g for g, state in states.items() if g != generation and state != "retired"]
            await connection.execute(
                update(projection_generations)
                .where(projection_generations.c.generation.in_(older))
                .values(state="retired")
            )
            await connection.execute(
                update(projection_generations)
                .where(projection_generations.c.generation == generation)
                .values(state="active", activated_at=datetime.now(UTC))
            )
        return older

    async def drop(self, generations: list[int]) -> None:
        async with self.engine.begin() as connection:
            for generation in generations:
                tables = tables_of(generation)
                await connection.run_sync(tables.views.metadata.drop_all)

    async def digest(self, generation: int) -> str:
        """A digest of every view of a generation, to compare a rebuild with the live one."""
        tables = tables_of(generation)
        digest = hashlib.sha256()
        query = select(tables.views.c.dossier_id, tables.views.c.view).order_by(
            tables.views.c.dossier_id
        )
        async with self.engine.connect() as connection:
            result = await connection.stream(query)  # a server-side cursor: memory stays flat
            async for rows in result.partitions(1000):
                for row in rows:
                    digest.update(json.dumps(normalised(row.view), sort_keys=True).encode())
        return digest.hexdigest()


async def load_rows(
    connection: AsyncConnection, tables: GenerationTables, ids: Sequence[str], *, lock: bool = False
) -> list[Row[Any]]:
    """The rows of these dossiers (locked, in id order, on PostgreSQL when ``lock``)."""
    query: Any = (
        select(tables.views)
        .where(tables.views.c.dossier_id.in_(ids))
        .order_by(tables.views.c.dossier_id)
    )
    if lock and connection.dialect.name == "postgresql":
        query = query.with_for_update()
    return list(await connection.execute(query))


async def load_view(
    connection: AsyncConnection, tables: GenerationTables, dossier_id: str, *, lock: bool = False
) -> View | None:
    query: Any = select(tables.views.c.view).where(tables.views.c.dossier_id == dossier_id)
    if lock and connection.dialect.name == "postgresql":
        query = query.with_for_update()
    row = (await connection.execute(query)).first()
    return dict(row.view) if row else None
