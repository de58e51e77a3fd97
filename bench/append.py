"""1. Event-store append: one dossier stream per transaction, 10 events per stream.

Ours (``SqlEventStore.append``), the ``eventsourcing`` library (Application + Aggregate,
psycopg 3) and a raw asyncpg insert loop into a table of the same shape (the ceiling),
all on the same PostgreSQL, with the same number of concurrent writers, interleaved run
by run so that drift hits all three alike. Batched: ten streams in one transaction.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from bench.common import RUNS, Results, log
from guichet_core.kernel.store.database import DatabaseConfig, create_engine, migrate
from guichet_core.kernel.store.records import NewEvent
from guichet_core.kernel.store.sql import SqlEventStore, event_store_for

STREAMS = 1000  # per run
EMBEDDED_STREAMS = 300  # per run on SQLite, which writes about a fifth as fast
EVENTS = 10  # per stream
WRITERS = 4  # concurrent writers, for every contender
BATCH = 10  # streams per transaction in the batched run


def payload(step: int) -> dict[str, Any]:
    """About what a dossier event carries: ids, a step, dates and a sealed blob."""
    return {
        "application_id": str(uuid.uuid4()),
        "step": step,
        "authority": "BXL",
        "kind": "single_permit",
        "filed_at": "2025-03-01T10:00:00+00:00",
        "sealed": "x" * 240,
        "documents": [{"kind": "passport", "sha256": "0" * 64}],
    }


def new_events() -> list[NewEvent]:
    now = datetime.now(UTC)
    return [
        NewEvent(
            uuid.uuid4(),
            "be.guichet.bench.step.v1",
            1,
            payload(i),
            now,
            {"traceparent": "00-" + "1" * 32 + "-" + "2" * 16 + "-01"},
        )
        for i in range(EVENTS)
    ]


async def _workers(count: int, job: Any) -> float:
    """Run ``job(stream_index)`` for ``count`` streams on WRITERS tasks; seconds taken."""
    queue = iter(range(count))

    async def worker() -> None:
        for index in queue:
            await job(index)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(WRITERS)))
    return time.perf_counter() - start


async def ours_once(store: SqlEventStore, streams: int = STREAMS) -> float:
    async def job(_: int) -> None:
        await store.append(str(uuid.uuid4()), new_events(), expected_version=0)

    return streams / await _workers(streams, job)


async def ours_batched_once(store: SqlEventStore, streams: int = STREAMS) -> float:
    async def job(_: int) -> None:
        async with store.unit_of_work() as uow:
            for _stream in range(BATCH):
                await uow.append(str(uuid.uuid4()), new_events(), expected_version=0)

    return streams * EVENTS / await _workers(streams // BATCH, job)


RAW_TABLE = """
create table events (
    position bigserial primary key, stream_id varchar(64) not null, version integer not null,
    event_id uuid not null unique, event_type varchar(200) not null,
    schema_version integer not null, data jsonb not null, metadata jsonb not null,
    occurred_at timestamptz not null, recorded_at timestamptz not null,
    unique (stream_id, version))
"""
RAW_INSERT = """insert into events (stream_id, version, event_id, event_type, schema_version,
    data, metadata, occurred_at, recorded_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)"""


async def raw_once(pool: asyncpg.Pool) -> float:
    async def job(_: int) -> None:
        stream = str(uuid.uuid4())
        now = datetime.now(UTC)
        rows = [
            (
                stream,
                v,
                e.event_id,
                e.event_type,
                1,
                json.dumps(e.data),
                json.dumps(e.metadata),
                e.occurred_at,
                now,
            )
            for v, e in enumerate(new_events(), 1)
        ]
        async with pool.acquire() as connection, connection.transaction():
            await connection.executemany(RAW_INSERT, rows)

    return STREAMS / await _workers(STREAMS, job)


def eventsourcing_app(url: str, schema: str) -> Any:
    from eventsourcing.application import Application
    from eventsourcing.domain import Aggregate, event

    class Dossier(Aggregate):
        @event("Filed")
        def __init__(self, data: dict[str, Any]) -> None:
            self.steps = [data]

        @event("Stepped")
        def step(self, data: dict[str, Any]) -> None:
            self.steps.append(data)

    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": parsed.database or "postgres",
        "POSTGRES_HOST": parsed.host or "127.0.0.1",
        "POSTGRES_PORT": str(parsed.port or 5432),
        "POSTGRES_USER": parsed.username or "postgres",
        "POSTGRES_PASSWORD": parsed.password or "",
        "POSTGRES_SCHEMA": schema,
        "POSTGRES_POOL_SIZE": str(WRITERS),
        "CREATE_TABLE": "y",
    }
    app = Application(env=env)
    return app, Dossier


def eventsourcing_once(app: Any, dossier: Any) -> float:
    def job(_: int) -> None:
        aggregate = dossier(payload(0))
        for i in range(1, EVENTS):
            aggregate.step(payload(i))
        app.save(aggregate)

    start = time.perf_counter()
    with ThreadPoolExecutor(WRITERS) as pool:
        list(pool.map(job, range(STREAMS)))
    return STREAMS / (time.perf_counter() - start)


async def _our_store(config: DatabaseConfig) -> SqlEventStore:
    engine = create_engine(config)
    await migrate(engine, config, version_locations=[])
    return event_store_for(engine, source="/guichet/bench")


async def postgres(results: Results, url: str, namespace: str) -> None:
    backend = "postgres-kafka"
    log(
        f"append on PostgreSQL: {STREAMS} streams x {EVENTS} events, {WRITERS} writers, "
        f"{RUNS} interleaved runs of ours / eventsourcing / raw asyncpg"
    )
    store = await _our_store(DatabaseConfig(url=url, schema=namespace + "store"))
    raw_schema, es_schema = namespace + "raw", namespace + "es"
    admin = await asyncpg.connect(url)
    await admin.execute(f'create schema "{raw_schema}"; create schema "{es_schema}"')
    await admin.execute(f'set search_path to "{raw_schema}"; {RAW_TABLE}')
    await admin.close()
    pool = await asyncpg.create_pool(
        url, min_size=WRITERS, max_size=WRITERS, server_settings={"search_path": raw_schema}
    )
    app, dossier = await asyncio.to_thread(eventsourcing_app, url, es_schema)
    # Warm-up: connections, statement caches, table creation.
    await ours_once_small(store)
    await asyncio.to_thread(lambda: app.save(dossier(payload(0))))
    ours, peer, raw, batched = [], [], [], []
    for run in range(RUNS):
        ours.append(await ours_once(store))
        peer.append(await asyncio.to_thread(eventsourcing_once, app, dossier))
        raw.append(await raw_once(pool))
        batched.append(await ours_batched_once(store))
        log(
            f"  run {run + 1}: ours {ours[-1]:.0f}, eventsourcing {peer[-1]:.0f}, "
            f"raw {raw[-1]:.0f} streams/s; batched {batched[-1]:.0f} events/s"
        )
    app.close()
    await pool.close()
    await store.engine.dispose()
    results.add("append_streams_per_s", backend, ours, "streams/s")
    results.add("append_events_per_s", backend, [s * EVENTS for s in ours], "events/s")
    results.add(
        "append_batched_events_per_s",
        backend,
        batched,
        "events/s",
        f"{BATCH} streams of {EVENTS} events per transaction",
    )
    results.add(
        "peer_eventsourcing_streams_per_s",
        backend,
        peer,
        "streams/s",
        "eventsourcing Application.save of a 10-event aggregate, psycopg 3",
    )
    results.add(
        "raw_asyncpg_tx_per_s",
        backend,
        raw,
        "tx/s",
        "one transaction of 10 inserts per stream, same table shape",
    )
    results.add(
        "append_ratio_vs_eventsourcing",
        backend,
        [o / p for o, p in zip(ours, peer, strict=True)],
        "x",
    )
    results.add(
        "append_ratio_vs_raw", backend, [o / r for o, r in zip(ours, raw, strict=True)], "x"
    )


async def ours_once_small(store: SqlEventStore) -> None:
    for _ in range(20):
        await store.append(str(uuid.uuid4()), new_events(), expected_version=0)


async def embedded(results: Results, directory: Path) -> None:
    log(
        f"append on SQLite (embedded): {EMBEDDED_STREAMS} streams x {EVENTS} events, "
        f"{WRITERS} writers"
    )
    store = await _our_store(DatabaseConfig(url=f"sqlite:///{directory / 'append.sqlite3'}"))
    await ours_once_small(store)
    ours, batched = [], []
    for run in range(RUNS):
        ours.append(await ours_once(store, EMBEDDED_STREAMS))
        batched.append(await ours_batched_once(store, EMBEDDED_STREAMS))
        log(f"  run {run + 1}: ours {ours[-1]:.0f} streams/s; batched {batched[-1]:.0f} events/s")
    await store.engine.dispose()
    results.add("append_streams_per_s", "embedded", ours, "streams/s")
    results.add("append_events_per_s", "embedded", [s * EVENTS for s in ours], "events/s")
    results.add(
        "append_batched_events_per_s",
        "embedded",
        batched,
        "events/s",
        f"{BATCH} streams of {EVENTS} events per transaction",
    )
