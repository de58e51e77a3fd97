"""The key store: one data key per dossier, wrapped by the master key, until shredded.

``KeyStore`` is the port; ``SqlKeyStore`` keeps the keys in the platform's own key-store
database (schema ``<namespace>keystore``, or ``<data_dir>/<namespace>keystore.sqlite3``),
opened by ``vault.open_vault``.
"""

from __future__ import annotations

import contextlib
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import (
    Column,
    DateTime,
    LargeBinary,
    MetaData,
    Row,
    Table,
    Text,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from guichet_core.kernel.store.database import single_statements
from guichet_core.kernel.store.upsert import insert_missing
from guichet_core.stores.master_key import MasterKey
from guichet_core.stores.vault_errors import DossierErased, KeyNotFound, KeyShredded, MasterKeyError

_CACHE_SIZE = 1024

data_keys = Table(
    "data_keys",
    MetaData(),
    Column("dossier_id", Text, primary_key=True),
    Column("wrapped_key", LargeBinary, nullable=True),  # NULL once shredded
    Column("master_key_id", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("shredded_at", DateTime(timezone=True), nullable=True),
)


class KeyStore(Protocol):
    """The key store port: one data key per dossier, until it is shredded."""

    async def create_key(self, dossier_id: str) -> bytes:
        """The dossier's key, created if it has none; ``KeyShredded`` if it was shredded."""
        ...

    async def get_key(self, dossier_id: str) -> bytes:
        """The dossier's key; ``KeyNotFound`` or ``KeyShredded`` otherwise."""
        ...

    async def shred(self, dossier_id: str) -> bool:
        """Destroy the key for good (True if one existed); the dossier never gets another."""
        ...

    async def is_shredded(self, dossier_id: str) -> bool: ...

    async def preload(self, dossier_ids: Sequence[str]) -> None:
        """Fetch these dossiers' keys together, ahead of opening their data one by one."""
        ...

    async def create_keys(self, dossier_ids: Sequence[str]) -> None:
        """Give each of these dossiers a key in one transaction; a dossier that has one,
        or was shredded, keeps what it has."""
        ...


# The new row if the insert won, else the row already there (a key or a tombstone).
_CREATE_OR_READ = text(
    "with created as ("
    " insert into data_keys (dossier_id, wrapped_key, master_key_id, created_at, shredded_at)"
    " values (:dossier_id, :wrapped_key, :master_key_id, :created_at, :shredded_at)"
    " on conflict (dossier_id) do nothing returning *)"
    " select * from created"
    " union all select * from data_keys"
    " where dossier_id = :dossier_id and not exists (select from created)"
).columns(*data_keys.c)


class SqlKeyStore:
    """Wrapped data keys in SQL (PostgreSQL or SQLite), with a short-lived key cache.

    Cached keys expire after ``cache_ttl`` seconds (another process may shred) and a
    shred in this process evicts at once.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        master_key: MasterKey,
        *,
        cache_ttl: float = 5.0,
        clock: Callable[[], float] = time.monotonic,  # injected: tests need not wait
    ) -> None:
        self.engine = engine
        self.master_key = master_key
        self._ttl = cache_ttl
        self._clock = clock
        self._cache: OrderedDict[str, tuple[bytes, float]] = OrderedDict()
        self._shreds = 0  # a read that overlapped a shred does not fill the cache
        self._single_statement = single_statements(engine)

    async def create_key(self, dossier_id: str) -> bytes:
        if (key := self._cached(dossier_id)) is not None:
            return key
        shreds = self._shreds
        wrapped = self.master_key.wrap(dossier_id, AESGCM.generate_key(bit_length=256))
        values = self._values(dossier_id, wrapped, self.master_key.key_id, None)
        # Concurrent creators race on the insert: one wins, the others (and a shredded
        # dossier's tombstone) read back what is there.
        async with self._single_statement.begin() as connection:
            if connection.dialect.name == "postgresql":
                # One statement in autocommit, whether the key is new or not. When a
                # concurrent creator commits while this insert waits on it, the insert
                # does nothing and the read, on the snapshot taken before, sees nothing:
                # read it again, in a statement of its own.
                row = (await connection.execute(_CREATE_OR_READ, values)).first()
                row = row or await self._row(connection, dossier_id)
            else:
                row = await self._row(connection, dossier_id)
                if row is None:
                    insert = self._insert(dossier_id, wrapped, self.master_key.key_id, None)
                    row = (await connection.execute(insert.returning(*data_keys.c))).first()
                    row = row or await self._row(connection, dossier_id)
        return self._open(dossier_id, row, shreds)

    async def get_key(self, dossier_id: str) -> bytes:
        if (key := self._cached(dossier_id)) is not None:
            return key
        shreds = self._shreds
        async with self._single_statement.connect() as connection:
            return self._open(dossier_id, await self._row(connection, dossier_id), shreds)

    async def shred(self, dossier_id: str) -> bool:
        self._forget(dossier_id)
        now = datetime.now(UTC)
        async with self.engine.begin() as connection:
            # A tombstone first: a create racing with this shred then finds it, never wins.
            tombstone = await connection.execute(self._insert(dossier_id, None, None, now))
            destroyed = False
            if tombstone.rowcount != 1:
                result = await connection.execute(
                    update(data_keys)
                    .where(data_keys.c.dossier_id == dossier_id, data_keys.c.shredded_at.is_(None))
                    .values(wrapped_key=None, shredded_at=now)
                )
                destroyed = result.rowcount == 1
        self._forget(dossier_id)
        return destroyed

    async def preload(self, dossier_ids: Sequence[str]) -> None:
        wanted = [d for d in dict.fromkeys(dossier_ids) if self._cached(d) is None]
        if not wanted or self._ttl <= 0:
            return
        shreds = self._shreds
        async with self._single_statement.connect() as connection:
            for start in range(0, len(wanted), 500):
                query = select(data_keys).where(data_keys.c.dossier_id.in_(wanted[start:][:500]))
                for row in await connection.execute(query):
                    with contextlib.suppress(KeyShredded):  # opening it will say so
                        self._open(row.dossier_id, row, shreds)

    async def create_keys(self, dossier_ids: Sequence[str]) -> None:
        # One transaction for many dossiers (a data migration, a bench's set-up): a key a
        # transaction costs a commit each, which on SQLite is milliseconds.
        rows = [
            self._values(
                d,
                self.master_key.wrap(d, AESGCM.generate_key(bit_length=256)),
                self.master_key.key_id,
                None,
            )
            for d in dict.fromkeys(dossier_ids)
        ]
        async with self.engine.begin() as connection:
            for start in range(0, len(rows), 500):
                await insert_missing(connection, data_keys, rows[start : start + 500])

    async def is_shredded(self, dossier_id: str) -> bool:
        async with self._single_statement.connect() as connection:
            row = await self._row(connection, dossier_id)
        return row is not None and row.shredded_at is not None

    @staticmethod
    def _values(
        dossier_id: str, wrapped: bytes | None, master_id: str | None, shredded: Any
    ) -> dict[str, Any]:
        return {
            "dossier_id": dossier_id,
            "wrapped_key": wrapped,
            "master_key_id": master_id,
            "created_at": datetime.now(UTC),
            "shredded_at": shredded,
        }

    def _insert(
        self, dossier_id: str, wrapped: bytes | None, master_id: str | None, shredded: Any
    ) -> Any:
        values = self._values(dossier_id, wrapped, master_id, shredded)
        insert = pg_insert if self.engine.dialect.name == "postgresql" else sqlite_insert
        return (
            insert(data_keys).values(values).on_conflict_do_nothing(index_elements=["dossier_id"])
        )

    async def _row(self, connection: AsyncConnection, dossier_id: str) -> Row[Any] | None:
        query = select(data_keys).where(data_keys.c.dossier_id == dossier_id)
        return (await connection.execute(query)).first()

    def _open(self, dossier_id: str, row: Row[Any] | None, shreds: int) -> bytes:
        if row is None:
            raise KeyNotFound(f"dossier {dossier_id} has no data key")
        if row.shredded_at is not None or not row.wrapped_key:
            raise DossierErased(f"the data key of dossier {dossier_id} was shredded")
        if row.master_key_id != self.master_key.key_id:
            raise MasterKeyError(
                f"the data key of dossier {dossier_id} is wrapped by master key "
                f"{row.master_key_id}, but the configured master key is {self.master_key.key_id}"
            )
        key = self.master_key.unwrap(dossier_id, row.wrapped_key)
        if self._ttl > 0 and shreds == self._shreds:
            self._cache[dossier_id] = (key, self._clock() + self._ttl)
            self._cache.move_to_end(dossier_id)
            while len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return key

    def _cached(self, dossier_id: str) -> bytes | None:
        entry = self._cache.get(dossier_id)
        if entry is None or entry[1] < self._clock():
            self._cache.pop(dossier_id, None)
            return None
        return entry[0]

    def _forget(self, dossier_id: str) -> None:
        self._shreds += 1
        self._cache.pop(dossier_id, None)
