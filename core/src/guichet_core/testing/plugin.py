"""The pytest harness: real PostgreSQL and a real Kafka-protocol broker, isolated per test.

Loaded with ``-p guichet_core.testing.plugin`` (see pyproject). Fixtures:

- ``postgres_url`` / ``kafka_bootstrap`` (session): the real servers (see ``database``
  and ``broker``); a missing server fails the run, it never skips a test. The run's
  summary says which PostgreSQL served it.
- ``database_backend`` (``sqlite`` | ``postgres``) and ``event_store``: a migrated store
  in a fresh SQLite file or a fresh PostgreSQL schema, dropped afterwards.
- ``bus_backend`` (``embedded`` | ``kafka``) and ``bus``: an embedded log in a fresh file
  or the Kafka broker; ``topic`` gives a topic name no other test uses.
- ``platform`` (``embedded`` | ``postgres-kafka``): settings for whole services in a
  fresh namespace (their own schemas, topics and consumer groups).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from guichet_core.kernel.bus.embedded import EmbeddedLog
from guichet_core.kernel.bus.port import Bus
from guichet_core.kernel.settings import ServiceSettings
from guichet_core.kernel.store.database import DatabaseConfig, create_engine, migrate
from guichet_core.kernel.store.sql import SqlEventStore, event_store_for
from guichet_core.testing.database import drop_schemas, postgres_for_tests, run_sync

_POSTGRES = pytest.StashKey[str]()


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def postgres_url(pytestconfig: pytest.Config) -> Iterator[str]:
    with postgres_for_tests() as server:
        pytestconfig.stash[_POSTGRES] = server.description
        yield server.url


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if description := config.stash.get(_POSTGRES, None):
        terminalreporter.write_line(f"PostgreSQL for the tests: {description}")


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    from guichet_core.testing.broker import kafka_bootstrap_for_tests

    with kafka_bootstrap_for_tests() as bootstrap:
        yield bootstrap


@pytest.fixture
def pg_namespace(postgres_url: str) -> Iterator[str]:
    """A namespace prefix whose PostgreSQL schemas are all dropped after the test."""
    namespace = unique("t") + "_"
    yield namespace
    run_sync(drop_schemas(postgres_url, namespace))


@pytest.fixture(params=["sqlite", "postgres"])
def database_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_config(
    database_backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> DatabaseConfig:
    if database_backend == "sqlite":
        return DatabaseConfig(url=f"sqlite:///{tmp_path / 'store.sqlite3'}")
    url = request.getfixturevalue("postgres_url")
    namespace = request.getfixturevalue("pg_namespace")
    return DatabaseConfig(url=url, schema=namespace + "store")


@pytest.fixture
async def event_store(database_config: DatabaseConfig) -> AsyncIterator[SqlEventStore]:
    engine = create_engine(database_config)
    await migrate(engine, database_config, version_locations=[])
    try:
        yield event_store_for(engine, source="/guichet/test")
    finally:
        await engine.dispose()


@pytest.fixture(params=["embedded", "kafka"])
def bus_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def bus(
    bus_backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[Bus]:
    if bus_backend == "embedded":
        log = EmbeddedLog(tmp_path / "bus.sqlite3")
        yield log
        await log.close()
        return
    from guichet_core.kernel.bus.kafka import KafkaBus

    yield KafkaBus(request.getfixturevalue("kafka_bootstrap"), client_id=unique("test-"))


@pytest.fixture
def topic() -> str:
    return unique("test.topic.")


@pytest.fixture(params=["embedded", "postgres-kafka"])
def platform(request: pytest.FixtureRequest, tmp_path: Path) -> ServiceSettings:
    """Settings every service of one test platform shares (build a service's own
    settings with ``Settings(**platform.model_dump(by_alias=False))``)."""
    if request.param == "embedded":
        return ServiceSettings(backend="embedded", data_dir=tmp_path / "var")
    return ServiceSettings(
        backend="postgres-kafka",
        data_dir=tmp_path / "var",
        database_url=request.getfixturevalue("postgres_url"),
        kafka_bootstrap=request.getfixturevalue("kafka_bootstrap"),
        namespace=request.getfixturevalue("pg_namespace"),
    )


@pytest.fixture(params=["embedded", "postgres-kafka"])
def stack_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def stack(
    stack_backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[tuple[SqlEventStore, Bus]]:
    """An event store and a bus of the same deployment: SQLite + embedded log, or
    PostgreSQL + Kafka."""
    if stack_backend == "embedded":
        config = DatabaseConfig(url=f"sqlite:///{tmp_path / 'store.sqlite3'}")
        bus: Bus = EmbeddedLog(tmp_path / "bus.sqlite3")
    else:
        from guichet_core.kernel.bus.kafka import KafkaBus

        namespace = request.getfixturevalue("pg_namespace")
        config = DatabaseConfig(url=request.getfixturevalue("postgres_url"), schema=namespace + "s")
        bus = KafkaBus(request.getfixturevalue("kafka_bootstrap"), client_id=unique("test-"))
    engine = create_engine(config)
    await migrate(engine, config, version_locations=[])
    try:
        yield event_store_for(engine, source="/guichet/test"), bus
    finally:
        await bus.close()
        await engine.dispose()
