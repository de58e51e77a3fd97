"""Personal data sealed per dossier; deleting the dossier's key deletes it everywhere.

Personal fields are sealed (AES-256-GCM) with their dossier's data key before they enter
an event or a message (Art. 11). Events are never deleted, so Art. 27 deletion destroys
the key instead (crypto-shredding): every sealed copy, in every store and topic, becomes
unreadable. Keys live behind the ``KeyStore`` port; ``SqlKeyStore`` keeps them in the
platform's own key-store database (schema ``<namespace>keystore``, or the SQLite file
``<data_dir>/<namespace>keystore.sqlite3``), wrapped by a master key that never enters
it: ``GUICHET_MASTER_KEY`` (base64 of 32 bytes; required by ``postgres-kafka``), else a
development key generated once into ``<data_dir>/master.key``. A KMS can replace it later.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import os
import secrets
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import BaseModel, SecretStr, ValidationError
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

from guichet_contracts.sealed import SealedData
from guichet_core.settings import ServiceSettings
from guichet_core.store.database import DatabaseConfig, create_engine, migrate, single_statements
from guichet_core.store.upsert import insert_missing

VAULT_MIGRATIONS_DIR = Path(__file__).resolve().parent / "vault_migrations"
ALG = "AES-256-GCM"
_NONCE = 12  # 96-bit GCM nonces, random per seal
_CACHE_SIZE = 1024
SealedModel = TypeVar("SealedModel", bound=BaseModel)  # a contract sealed as JSON

data_keys = Table(
    "data_keys",
    MetaData(),
    Column("dossier_id", Text, primary_key=True),
    Column("wrapped_key", LargeBinary, nullable=True),  # NULL once shredded
    Column("master_key_id", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("shredded_at", DateTime(timezone=True), nullable=True),
)


class VaultError(Exception):
    """Base of the vault's errors."""


class KeyNotFound(VaultError, LookupError):
    """The dossier never had a data key: nothing was ever sealed for it."""


class KeyShredded(VaultError):
    """The dossier's key was shredded: its personal data is deleted (Art. 27)."""


class DossierErased(KeyShredded):
    """The dossier was erased (Art. 27 of the agreement, GDPR Art. 17): every service
    answers 410 Gone for it, whether its own rows are deleted yet or not."""


class MasterKeyError(VaultError):
    """The master key is missing, malformed, or not the one that wrapped a data key."""


class SealBroken(VaultError):
    """A sealed value does not open: tampered with, or moved to another dossier."""


@dataclass(frozen=True, slots=True)
class MasterKey:
    """The key-encryption key (AES-256-GCM; the dossier id is the associated data)."""

    key: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.key) != 32:
            raise MasterKeyError(f"a master key has 32 bytes, not {len(self.key)}")

    @property
    def key_id(self) -> str:
        return hashlib.sha256(self.key).hexdigest()[:8]

    @classmethod
    def generate(cls) -> MasterKey:
        return cls(AESGCM.generate_key(bit_length=256))

    @classmethod
    def from_base64(cls, text: str) -> MasterKey:
        try:
            return cls(base64.b64decode(text.strip(), validate=True))
        except binascii.Error as error:
            raise MasterKeyError("a master key is the base64 of 32 bytes") from error

    def to_base64(self) -> str:
        return base64.b64encode(self.key).decode()

    def wrap(self, dossier_id: str, data_key: bytes) -> bytes:
        nonce = os.urandom(_NONCE)
        return nonce + AESGCM(self.key).encrypt(nonce, data_key, dossier_id.encode())

    def unwrap(self, dossier_id: str, wrapped: bytes) -> bytes:
        try:
            return AESGCM(self.key).decrypt(wrapped[:_NONCE], wrapped[_NONCE:], dossier_id.encode())
        except (InvalidTag, ValueError) as error:
            raise MasterKeyError(
                f"master key {self.key_id} cannot unwrap the data key of dossier {dossier_id}"
            ) from error


def master_key_for(settings: ServiceSettings) -> MasterKey:
    """``GUICHET_MASTER_KEY``; else, on the embedded backend only, ``<data_dir>/master.key``."""
    # A ``master_key`` field on the settings wins; ServiceSettings may grow one later.
    configured = getattr(settings, "master_key", None) or os.environ.get("GUICHET_MASTER_KEY")
    if configured:
        text = configured.get_secret_value() if isinstance(configured, SecretStr) else configured
        try:
            key = MasterKey.from_base64(str(text))
        except MasterKeyError as error:
            raise MasterKeyError(f"GUICHET_MASTER_KEY: {error}") from error
        if settings.backend == "postgres-kafka":
            _refuse_weak_master_key(key, development=settings.data_dir / "master.key")
        return key
    if settings.backend == "postgres-kafka":
        raise MasterKeyError(
            "GUICHET_BACKEND=postgres-kafka needs GUICHET_MASTER_KEY (base64 of 32 random "
            "bytes, from the secret store): refusing to start without it"
        )
    return _development_master_key(settings.data_dir / "master.key")


_MIN_DISTINCT_BYTES = 16  # 32 random bytes have about 30; fewer than 16: odds of 1e-11


def _refuse_weak_master_key(key: MasterKey, *, development: Path) -> None:
    """Production refuses a master key anybody could guess or copy (GDPR Art. 32): one of
    few distinct bytes (zeros, a repeated pattern), a typed passphrase, or the development
    key of the data directory. The message names the variable, never the key."""
    advice = (
        "set GUICHET_MASTER_KEY to the base64 of 32 random bytes from the secret store, "
        "e.g. python3 -c 'import os,base64;print(base64.b64encode(os.urandom(32)).decode())'"
    )
    if len(set(key.key)) < _MIN_DISTINCT_BYTES:
        raise MasterKeyError(f"GUICHET_MASTER_KEY has too little entropy to be random: {advice}")
    if all(0x20 <= byte < 0x7F for byte in key.key):
        raise MasterKeyError(f"GUICHET_MASTER_KEY is printable text, not random bytes: {advice}")
    if _read_key(development) == key:
        raise MasterKeyError(
            f"GUICHET_MASTER_KEY is the development key of {development}: {advice}"
        )


def _read_key(path: Path) -> MasterKey | None:
    try:
        return MasterKey.from_base64(path.read_text())
    except (OSError, MasterKeyError):
        return None


def _development_master_key(path: Path) -> MasterKey:
    """Read, or create once (mode 0600, atomically even when processes race), a dev key."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w") as file:
                file.write(MasterKey.generate().to_base64() + "\n")
                file.flush()
                os.fsync(file.fileno())
            with contextlib.suppress(FileExistsError):  # another process was first: use theirs
                os.link(draft, path)
        finally:
            draft.unlink(missing_ok=True)
    return MasterKey.from_base64(path.read_text())


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
        self, engine: AsyncEngine, master_key: MasterKey, *, cache_ttl: float = 5.0
    ) -> None:
        self.engine = engine
        self.master_key = master_key
        self._ttl = cache_ttl
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
            self._cache[dossier_id] = (key, time.monotonic() + self._ttl)
            self._cache.move_to_end(dossier_id)
            while len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return key

    def _cached(self, dossier_id: str) -> bytes | None:
        entry = self._cache.get(dossier_id)
        if entry is None or entry[1] < time.monotonic():
            self._cache.pop(dossier_id, None)
            return None
        return entry[0]

    def _forget(self, dossier_id: str) -> None:
        self._shreds += 1
        self._cache.pop(dossier_id, None)


class PersonalDataVault:
    """Seals personal data with its dossier's key; opens it for those who need to know."""

    def __init__(self, key_store: KeyStore) -> None:
        self.key_store = key_store

    async def seal(self, dossier_id: str, data: dict[str, Any]) -> SealedData:
        """Seal a JSON object (use ``model_dump(mode="json")`` for dates and enums)."""
        plain = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        return await self.seal_bytes(dossier_id, plain.encode())

    async def seal_bytes(self, dossier_id: str, data: bytes) -> SealedData:
        """Seal a document; ``KeyShredded`` if the dossier was deleted."""
        if not dossier_id:
            raise ValueError("personal data is sealed for a dossier: dossier_id is empty")
        key = await self.key_store.create_key(dossier_id)
        nonce = os.urandom(_NONCE)
        ciphertext = AESGCM(key).encrypt(nonce, data, dossier_id.encode())
        return SealedData(
            key_id=dossier_id,
            alg=ALG,
            nonce=base64.b64encode(nonce).decode(),
            ciphertext=base64.b64encode(ciphertext).decode(),
        )

    async def unseal(self, sealed: SealedData, *, dossier_id: str | None = None) -> dict[str, Any]:
        """Open a sealed JSON object; pass ``dossier_id`` to insist it belongs to that dossier."""
        plain = await self.unseal_bytes(sealed, dossier_id=dossier_id)
        try:
            data = json.loads(plain)
        except ValueError as error:
            raise SealBroken("the sealed value is not JSON (a document?)") from error
        if not isinstance(data, dict):
            raise SealBroken("the sealed value is not a JSON object")
        return data

    async def unseal_as(
        self, sealed: SealedData, model: type[SealedModel], *, dossier_id: str | None = None
    ) -> SealedModel:
        """Open a sealed JSON object as the contract ``model`` (e.g. ``SealedDossier``)."""
        data = await self.unseal(sealed, dossier_id=dossier_id)
        try:
            return model.model_validate(data)
        except ValidationError as error:
            # Not chained: a validation error quotes the personal values it was given.
            raise SealBroken(
                f"a value sealed as dossier {sealed.key_id}'s is not a {model.__name__}"
                f" ({error.error_count()} errors)"
            ) from None

    async def unseal_bytes(self, sealed: SealedData, *, dossier_id: str | None = None) -> bytes:
        """Open a sealed document; ``KeyShredded`` once its dossier's key is shredded."""
        if dossier_id is not None and sealed.key_id != dossier_id:
            raise SealBroken(f"sealed for dossier {sealed.key_id}, not for {dossier_id}")
        key = await self.key_store.get_key(sealed.key_id)
        try:
            nonce = base64.b64decode(sealed.nonce, validate=True)
            ciphertext = base64.b64decode(sealed.ciphertext, validate=True)
            return AESGCM(key).decrypt(nonce, ciphertext, sealed.key_id.encode())
        except (InvalidTag, binascii.Error, ValueError) as error:
            raise SealBroken(
                f"a value sealed as dossier {sealed.key_id}'s does not open with its key"
            ) from error

    async def preload(self, dossier_ids: Sequence[str]) -> None:
        """Fetch many dossiers' keys in one query (a rebuild opens thousands)."""
        await self.key_store.preload(dossier_ids)

    async def create_keys(self, dossier_ids: Sequence[str]) -> None:
        """Give many dossiers their keys at once (see ``KeyStore.create_keys``)."""
        await self.key_store.create_keys(dossier_ids)

    async def shred(self, dossier_id: str) -> bool:
        """Crypto-shred the dossier: everything ever sealed for it becomes unreadable."""
        return await self.key_store.shred(dossier_id)

    async def is_shredded(self, dossier_id: str) -> bool:
        return await self.key_store.is_shredded(dossier_id)

    async def ensure_not_erased(self, dossier_id: str) -> None:
        """``DossierErased`` if the dossier's key was shredded (asks the key store, never
        the cache: another process may have shredded it a moment ago)."""
        if await self.key_store.is_shredded(dossier_id):
            raise DossierErased(f"dossier {dossier_id} was erased")


def keystore_database_config(settings: ServiceSettings) -> DatabaseConfig:
    """The key store's own database: a schema, or a SQLite file, of the platform."""
    return settings.database("keystore")


async def open_vault(settings: ServiceSettings) -> tuple[PersonalDataVault, AsyncEngine]:
    """The vault on the migrated key store; the caller disposes of the engine."""
    master_key = master_key_for(settings)  # refuse before touching any database
    config = keystore_database_config(settings)
    engine = create_engine(config)
    try:
        await migrate(engine, config, version_locations=[VAULT_MIGRATIONS_DIR], include_core=False)
    except BaseException:
        await engine.dispose()
        raise
    return PersonalDataVault(SqlKeyStore(engine, master_key)), engine
