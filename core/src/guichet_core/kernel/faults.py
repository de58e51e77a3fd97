"""Which failures belong to the infrastructure, and which to the message.

A consumer waits out the first kind (the database restarting, a connection killed by
``pg_terminate_backend``, a full connection table, a locked SQLite file, the network) for
as long as it lasts: the message is fine and must be applied, never dead-lettered. Only
the second kind (a handler refusing what it was given) counts towards the attempts after
which a message goes to the dead-letter topic.
"""

from __future__ import annotations

import asyncio
import sqlite3

from sqlalchemy import exc as sa

# SQLSTATE classes and codes that say "try again", whatever the statement: connection
# exceptions (08), insufficient resources (53: too many connections, disk full),
# operator intervention (57P01-57P05: terminated, shut down, cannot connect now),
# serialisation failures and deadlocks (40001, 40P01).
_TRANSIENT_CLASSES = ("08", "53")
_TRANSIENT_CODES = {"57P01", "57P02", "57P03", "57P04", "57P05", "40001", "40P01"}
_SQLITE_BUSY = ("database is locked", "database table is locked", "unable to open database")


def _chain(error: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in seen and len(seen) < 10:
        seen.append(current)
        orig = getattr(current, "orig", None)
        current = orig if isinstance(orig, BaseException) else current.__cause__
    return seen


def is_transient(error: BaseException) -> bool:
    """True when ``error`` says the infrastructure failed, not the work: retry it."""
    for cause in _chain(error):
        if isinstance(cause, sa.DBAPIError) and cause.connection_invalidated:
            return True
        if isinstance(cause, sa.DisconnectionError | sa.TimeoutError):
            return True
        if isinstance(cause, ConnectionError | TimeoutError | asyncio.TimeoutError):
            return True
        if isinstance(cause, OSError) and not isinstance(cause, FileNotFoundError):
            return True
        code = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
        if isinstance(code, str) and (code[:2] in _TRANSIENT_CLASSES or code in _TRANSIENT_CODES):
            return True
        if isinstance(cause, sqlite3.OperationalError) and str(cause).startswith(_SQLITE_BUSY):
            return True
        if type(cause).__module__.startswith("asyncpg") and type(cause).__name__ in {
            "ConnectionDoesNotExistError",
            "InterfaceError",
            "InternalClientError",
        }:
            return True
    return False
