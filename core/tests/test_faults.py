"""The consumer waits out the infrastructure and dead-letters only what the message
itself makes fail (no event lost to a database restart: issue 12, make reliability)."""

from __future__ import annotations

import sqlite3

import asyncpg
import pytest
from sqlalchemy import exc as sa

from guichet_core.kernel.faults import is_transient


def _wrapped(orig: BaseException) -> sa.DBAPIError:
    return sa.DBAPIError.instance("INSERT ...", {}, orig, Exception)


@pytest.mark.parametrize(
    "error",
    [
        asyncpg.exceptions.TooManyConnectionsError("sorry, too many clients already"),
        asyncpg.exceptions.AdminShutdownError("terminating connection"),
        asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed"),
        asyncpg.exceptions.SerializationError("could not serialize"),
        asyncpg.exceptions.DeadlockDetectedError("deadlock"),
        ConnectionResetError("reset by peer"),
        TimeoutError(),
        sqlite3.OperationalError("database is locked"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_the_infrastructure_failing_is_waited_out(error: BaseException) -> None:
    assert is_transient(error)
    wrapped = _wrapped(error)
    wrapped.__cause__ = error
    assert is_transient(wrapped)


@pytest.mark.parametrize(
    "error",
    [
        ValueError("the handler refused it"),
        KeyError("missing"),
        asyncpg.exceptions.UniqueViolationError("duplicate key"),
        asyncpg.exceptions.CharacterNotInRepertoireError("NUL"),
        sqlite3.IntegrityError("UNIQUE constraint failed"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_a_failure_of_the_work_itself_counts_towards_the_dead_letter(
    error: BaseException,
) -> None:
    assert not is_transient(error)
    assert not is_transient(_wrapped(error))
