"""The platform's shared stores, each in a database of its own, opened one way.

The key store (``vault``), the e-box stand-in (``ebox``) and the token deny-list
(``revocation``) are shared by every service: a PostgreSQL schema ``<namespace><store>``
or a SQLite file ``<data_dir>/<namespace><store>.sqlite3``, never a service's schema.
Each is opened by ``open_shared_database``: its engine, migrated under the per-schema
migration lock of ``store.database.migrate``, so six services starting at once take
turns (a fresh start once crashed one of them on ``CREATE SCHEMA`` of the key store).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncEngine

from guichet_core.kernel.settings import ServiceSettings
from guichet_core.kernel.store.database import DatabaseConfig, create_engine, migrate

SharedStore = Literal["keystore", "ebox", "revocations"]

_HERE = Path(__file__).resolve().parent
MIGRATIONS: dict[SharedStore, Path] = {
    "keystore": _HERE / "vault_migrations",
    "ebox": _HERE / "ebox_migrations",
    "revocations": _HERE / "revocation_migrations",
}
# The deny-list is read once per cache window and written rarely: a small pool (the
# migration lock and the migration itself take two connections at start-up).
_SMALL_POOLS: frozenset[SharedStore] = frozenset({"revocations"})


def shared_database(settings: ServiceSettings, store: SharedStore) -> DatabaseConfig:
    """Where a shared store lives on this platform: its own schema or file."""
    config = settings.database(store)
    if store in _SMALL_POOLS:
        return dataclasses.replace(config, pool_size=2, max_overflow=2)
    return config


async def open_shared_database(settings: ServiceSettings, store: SharedStore) -> AsyncEngine:
    """The engine of a shared store, migrated to its newest revision; the caller disposes
    of it (at shutdown). Safe when several processes open the same store at once."""
    config = shared_database(settings, store)
    engine = create_engine(config)
    try:
        await migrate(engine, config, version_locations=[MIGRATIONS[store]], include_core=False)
    except BaseException:
        await engine.dispose()
        raise
    return engine
