"""A real PostgreSQL for the tests: ``$DATABASE_URL``, else the local server on
127.0.0.1:5432, else a testcontainers container when a Docker engine answers.
Never a skip: if none can be had, the run fails and says why."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import asyncpg

LOCAL_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
TEST_DATABASE = "guichet_test"

T = TypeVar("T")


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from synchronous code, even inside a running loop
    (session fixtures are first requested from async tests)."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def drop_schemas(url: str, prefix: str) -> None:
    """Drop every schema whose name starts with ``prefix`` (a throw-away namespace)."""
    connection = await asyncpg.connect(url)
    try:
        names = await connection.fetch(
            "select nspname from pg_namespace where nspname like $1", prefix + "%"
        )
        for row in names:
            await connection.execute(f'drop schema if exists "{row["nspname"]}" cascade')
    finally:
        await connection.close()


async def _reachable(url: str) -> str | None:
    try:
        connection = await asyncio.wait_for(asyncpg.connect(url), timeout=5)
    except (OSError, asyncpg.PostgresError, TimeoutError) as error:
        return f"{type(error).__name__}: {error}"
    await connection.close()
    return None


async def _ensure_database(url: str, name: str) -> str:
    """Create the dedicated test database next to ``url``'s and return its URL."""
    connection = await asyncpg.connect(url)
    try:
        exists = await connection.fetchval("select 1 from pg_database where datname = $1", name)
        if not exists:
            with contextlib.suppress(asyncpg.DuplicateDatabaseError):
                await connection.execute(f'create database "{name}"')
    finally:
        await connection.close()
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


def _docker_answers() -> bool:
    try:
        import docker

        docker.from_env().ping()
        return True
    except Exception:
        return False


@contextlib.contextmanager
def postgres_url_for_tests() -> Iterator[str]:
    """Yield a ``postgresql://`` URL of a database the tests may create schemas in."""
    if url := os.environ.get("DATABASE_URL"):
        problem = run_sync(_reachable(url))
        if problem:
            raise RuntimeError(f"DATABASE_URL={url} is set but unreachable: {problem}")
        yield url
        return
    problem = run_sync(_reachable(LOCAL_URL))
    if problem is None:
        yield run_sync(_ensure_database(LOCAL_URL, TEST_DATABASE))
        return
    if _docker_answers():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:16-alpine", driver=None) as container:
            yield container.get_connection_url()
        return
    raise RuntimeError(
        "no PostgreSQL for the tests: DATABASE_URL is unset, 127.0.0.1:5432 refused "
        f"({problem}) and no Docker engine answers. Start the local server with "
        "`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`."
    )
