"""4. Replay: read the whole log (1,000,000 events) through ``SqlEventStore.iter_all``.

The log is seeded fast (COPY on PostgreSQL, one executemany on SQLite) into a bench
schema's ``events`` table migrated like any service's. Each read runs in a fresh process
(``bench.replay_reader``) so its peak RSS is its own; the peak is taken at 250,000 and at
1,000,000 events: equal peaks mean memory does not grow with the log. Rebuilding the
consultation projections and the retention schedule from the log is ``bench.rebuild``.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from bench.common import RUNS, Results, log
from guichet_core.store.database import DatabaseConfig, create_engine, migrate

EVENTS = 1_000_000
SMALL = 250_000
PER_STREAM = 10
CHUNK = 50_000
NOTE = (
    "replay_* reads the event store's log through SqlEventStore.iter_all; rebuilding the "
    "consultation projections and the retention schedule from the bus's log is "
    "rebuild_* (bench/rebuild.py)"
)


DATA = (
    '{{"application_id": "{stream}", "step": {version}, "authority": "BXL", '
    '"kind": "single_permit", "filed_at": "2025-03-01T10:00:00+00:00", '
    '"sealed": "'
    + "x" * 200
    + '", "documents": [{{"kind": "passport", "sha256": "'
    + "0" * 64
    + '"}}]}}'
)


def rows(start: int, count: int) -> Iterator[tuple[object, ...]]:
    """Events of ``count // PER_STREAM`` dossiers: data of about 400 bytes each."""
    base = datetime(2025, 3, 1, tzinfo=UTC)
    for n in range(start, start + count):
        stream = uuid.UUID(int=n // PER_STREAM + 1)
        version = n % PER_STREAM + 1
        data = DATA.format(stream=stream, version=version)
        at = base + timedelta(seconds=n)
        yield (
            str(stream),
            version,
            uuid.uuid4(),
            "be.guichet.bench.step.v1",
            1,
            data,
            '{"traceparent": "00-' + "1" * 32 + "-" + "2" * 16 + '-01"}',
            at,
            at,
        )


COLUMNS = [
    "stream_id",
    "version",
    "event_id",
    "event_type",
    "schema_version",
    "data",
    "metadata",
    "occurred_at",
    "recorded_at",
]


async def seed_postgres(url: str, schema: str) -> None:
    config = DatabaseConfig(url=url, schema=schema)
    engine = create_engine(config)
    await migrate(engine, config, version_locations=[])
    await engine.dispose()
    connection = await asyncpg.connect(url, server_settings={"search_path": schema})
    try:
        for start in range(0, EVENTS, CHUNK):
            await connection.copy_records_to_table(
                "events", records=list(rows(start, CHUNK)), columns=COLUMNS, schema_name=schema
            )
        await connection.execute("analyze events")
    finally:
        await connection.close()


async def seed_sqlite(file: Path) -> None:
    config = DatabaseConfig(url=f"sqlite:///{file}")
    engine = create_engine(config)
    await migrate(engine, config, version_locations=[])
    await engine.dispose()
    fmt = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores DateTime on SQLite
    connection = sqlite3.connect(file)
    with connection:
        for start in range(0, EVENTS, CHUNK):
            connection.executemany(
                f"insert into events ({', '.join(COLUMNS)}) values (?,?,?,?,?,?,?,?,?)",
                [
                    (s, v, e.hex, t, sv, d, m, o.strftime(fmt), r.strftime(fmt))
                    for s, v, e, t, sv, d, m, o, r in rows(start, CHUNK)
                ],
            )
    connection.close()


def read(url: str, schema: str, limit: int) -> dict[str, Any]:
    output = subprocess.run(
        [sys.executable, "-m", "bench.replay_reader", url, schema, str(limit), str(SMALL)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    if result["events"] != limit:
        raise RuntimeError(f"replay read {result['events']} events, not {limit}")
    return result


async def measure(results: Results, backend: str, url: str, schema: str) -> None:
    log(f"replay [{backend}]: seeding {EVENTS:,} events")
    began = time.perf_counter()
    if backend == "embedded":
        await seed_sqlite(Path(url.removeprefix("sqlite:///")))
    else:
        await seed_postgres(url, schema)
    log(
        f"  seeded in {time.perf_counter() - began:.0f} s; reading it {RUNS} times, each in a "
        f"fresh process (peak RSS at {SMALL:,} and at {EVENTS:,} events)"
    )
    rates, peaks, small_peaks, baselines = [], [], [], []
    for _ in range(RUNS):
        full = await asyncio.to_thread(read, url, schema, EVENTS)
        rates.append(full["events"] / full["seconds"])
        peaks.append(full["peak_rss_mb"])
        small_peaks.append(full["peak_rss_mb_at"][str(SMALL)])
        baselines.append(full["rss_before_mb"])
        log(
            f"  {rates[-1]:,.0f} events/s; peak RSS {small_peaks[-1]:.0f} MiB at "
            f"{SMALL:,}, {peaks[-1]:.0f} MiB at {EVENTS:,}"
        )
    results.add("replay_events_per_s", backend, rates, "events/s", NOTE)
    results.add(
        "replay_peak_rss_mb",
        backend,
        peaks,
        "MiB",
        f"peak RSS of the reading process over {EVENTS:,} events",
    )
    results.add(
        "replay_peak_rss_mb_250k",
        backend,
        small_peaks,
        "MiB",
        f"the same at {SMALL:,} events: equal peaks: memory flat in the log size",
    )
    results.add("replay_rss_before_mb", backend, baselines, "MiB", "the reader before reading")
