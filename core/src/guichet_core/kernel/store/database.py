"""Engines for the two backends and Alembic migrations, one history per service.

PostgreSQL: one database, one schema per service (``search_path`` is pinned on every
connection). SQLite: one file per service, WAL journal, writers serialised with
``BEGIN IMMEDIATE`` so two writers never deadlock on a lock upgrade.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import sqlite3
import weakref
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import Connection, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

if TYPE_CHECKING:  # Alembic is imported by migrate(): a reader of the log needs none of it
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def as_utc(moment: datetime) -> datetime:
    """A stored moment in UTC: SQLite hands datetimes back naive, and all we store is UTC."""
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class DatabaseConfig:
    url: str
    schema: str | None = None  # PostgreSQL only
    # Connections per engine (PostgreSQL only): six services, each with its own store,
    # the key store and the e-box, share one server's ``max_connections`` (100 by default).
    pool_size: int = 5
    max_overflow: int = 5

    @property
    def is_sqlite(self) -> bool:
        return make_url(self.url).get_backend_name() == "sqlite"


def normalise_url(url: str) -> str:
    """Accept the usual ``postgresql://`` / ``sqlite:///`` forms and pick the async drivers."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        parsed = parsed.set(drivername="postgresql+asyncpg")
    elif parsed.get_backend_name() == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    return parsed.render_as_string(hide_password=False)


def create_engine(config: DatabaseConfig, **options: Any) -> AsyncEngine:
    # Bound parameters (a NISS, an e-mail address, a refusal's reasons) never appear in
    # an exception's text, so no log line or span can carry them (GDPR Art. 5 §1 f, 32).
    options.setdefault("hide_parameters", True)
    url = normalise_url(config.url)
    if config.is_sqlite:
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
            _switch_to_wal(Path(database))
        engine = create_async_engine(
            url, connect_args={"timeout": 30}, json_deserializer=orjson.loads, **options
        )
        _configure_sqlite(engine)
        return engine
    connect_args: dict[str, Any] = {}
    if config.schema:
        connect_args["server_settings"] = {"search_path": config.schema}
    # No pool_pre_ping: it costs a round trip on every checkout. After a server restart
    # the first statement on a stale connection fails, SQLAlchemy recognises the
    # disconnect and invalidates the whole pool; consumers and the relay retry, and a
    # request gets one 5xx instead of every request paying for a ping.
    # orjson reads the JSON columns (event data, views, outbox headers) three times
    # faster than the standard library; replays spent 40% of their time in json.loads.
    return create_async_engine(
        url,
        connect_args=connect_args,
        pool_size=config.pool_size,
        max_overflow=config.max_overflow,
        json_deserializer=orjson.loads,
        **options,
    )


def single_statements(engine: AsyncEngine) -> AsyncEngine:
    """The engine for work that needs no transaction around its statements: autocommit on
    PostgreSQL (no BEGIN and ROLLBACK round trips around a read or a lone insert); SQLite
    as it is (its writers must begin IMMEDIATE)."""
    if engine.dialect.name != "postgresql":
        return engine
    autocommit = _autocommit.get(engine)
    if autocommit is None:  # made once per engine: it is asked for on every read
        autocommit = _autocommit[engine] = engine.execution_options(isolation_level="AUTOCOMMIT")
    return autocommit


_autocommit: weakref.WeakKeyDictionary[AsyncEngine, AsyncEngine] = weakref.WeakKeyDictionary()


def _switch_to_wal(path: Path) -> None:
    """Put a database file in WAL mode once, before any concurrent use.

    The switch needs an exclusive lock: done by two connections at once while one of
    them writes (several services starting together on a new file), each waits for the
    other. WAL mode is kept in the file, so later connections find it set; a lock file
    makes the first switch happen in one process at a time.
    """
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            connection = sqlite3.connect(path, timeout=30)
            try:
                if connection.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                    connection.execute("PRAGMA journal_mode=WAL")
            finally:
                connection.close()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=FULL")  # an acknowledged event survives a power cut
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def alembic_config(
    *, version_locations: list[Path], schema: str | None, include_core: bool = True
) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    core = [MIGRATIONS_DIR / "versions"] if include_core else []
    locations = [*core, *version_locations]
    # A versions directory that moved would migrate nothing, silently, and leave a store
    # without its tables: refuse to start instead.
    missing = [str(path) for path in locations if not path.is_dir()]
    if missing:
        raise FileNotFoundError(f"migrations not found: {', '.join(missing)}")
    config.set_main_option("version_locations", " ".join(str(p) for p in locations))
    config.set_main_option("path_separator", "space")
    config.attributes["schema"] = schema
    return config


async def migrate(
    engine: AsyncEngine,
    config: DatabaseConfig,
    *,
    version_locations: list[Path],
    include_core: bool = True,
) -> None:
    """Bring the schema to the newest revision of its migrations.

    A service's database gets the core tables (event store, outbox, processed messages)
    plus its own; a platform store that is not a service (e.g. the key store) passes
    ``include_core=False`` and only its own ``version_locations``. Safe when several
    processes (six services, two replicas) migrate the same schema at once: they take
    turns (see ``_migrating``), and each after the first finds it at head.
    """
    from alembic import command

    async with _migrating(engine, config), engine.begin() as connection:
        if not config.is_sqlite and config.schema:
            await connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{config.schema}"'))
        alembic = alembic_config(
            version_locations=version_locations,
            schema=config.schema,
            include_core=include_core,
        )

        def upgrade(sync_connection: Connection) -> None:
            alembic.attributes["connection"] = sync_connection
            command.upgrade(alembic, "heads")

        await connection.run_sync(upgrade)


# One lock per event loop for every migration of this process, whatever its schema:
# Alembic installs its ``context`` and ``op`` proxies as module globals for the length
# of a migration, so two migrations running at once in one process (a service opening
# the key store while another opens the e-box) remove each other's (KeyError 'script').
_local_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


@contextlib.asynccontextmanager
async def _migrating(engine: AsyncEngine, config: DatabaseConfig) -> AsyncIterator[None]:
    """Migrations one at a time: in this process (see ``_local_locks``), and on
    PostgreSQL across processes by a session advisory lock keyed on the schema's name
    (CREATE SCHEMA IF NOT EXISTS and CREATE TABLE race otherwise: duplicate key on
    ``pg_namespace``). SQLite's BEGIN IMMEDIATE already serialises the migrating
    transactions of a file."""
    name = config.schema or str(make_url(config.url).database)
    loop = asyncio.get_running_loop()
    lock = _local_locks.get(loop)
    if lock is None:
        lock = _local_locks[loop] = asyncio.Lock()
    async with lock:
        if config.is_sqlite:
            yield
            return
        key = zlib.crc32(f"guichet:migrate:{name}".encode()) - 2**31
        async with single_statements(engine).connect() as connection:
            await connection.execute(text("select pg_advisory_lock(:key)"), {"key": key})
            try:
                yield
            finally:
                await connection.execute(text("select pg_advisory_unlock(:key)"), {"key": key})
