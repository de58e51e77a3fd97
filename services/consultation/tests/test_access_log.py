"""The access log on both backends: a hash chain that shows any altered or removed entry."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

import guichet_consultation
from guichet_consultation.access_log import (
    GENESIS,
    AccessEntry,
    AccessLog,
    access_log,
    chain_hash,
    entry_for,
)
from guichet_consultation.policy import POLICY, DataCategory, DossierFacts, Requester, evaluate
from guichet_contracts.vocabulary import Authority
from guichet_core.http.auth import Caller
from guichet_core.kernel.store.database import DatabaseConfig, create_engine, migrate

MIGRATIONS = Path(guichet_consultation.__file__).parent / "migrations" / "versions"


@pytest.fixture
async def engine(database_config: DatabaseConfig) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_config)
    await migrate(engine, database_config, version_locations=[MIGRATIONS])
    try:
        yield engine
    finally:
        await engine.dispose()


def entry(dossier_id: str | None = "d-1", **changes: Any) -> AccessEntry:
    fields: dict[str, Any] = {
        "authority": "VLG",
        "agent_id": "agent-7",
        "roles": ["health_data"],
        "purpose": "admissibility",
        "dossier_id": dossier_id,
        "categories": ["summary", "identification"],
        "withheld": ["criminal_record"],
        "outcome": "partial",
    }
    return AccessEntry(**(fields | changes))


async def test_appends_are_chained_and_verify(engine: AsyncEngine) -> None:
    log = AccessLog(engine)
    assert (await log.verify()).ok
    first = await log.append(entry())
    second = await log.append(entry("d-2", outcome="denied", categories=[]))
    assert (first.seq, first.prev_hash) == (1, GENESIS)
    assert (second.seq, second.prev_hash) == (2, first.hash)
    assert first.hash == chain_hash(GENESIS, first.fields())
    check = await log.verify()
    assert (check.ok, check.entries, check.first_broken_seq) == (True, 2, None)
    assert check.head == second.hash


async def test_the_stored_entry_is_what_was_hashed(engine: AsyncEngine) -> None:
    log = AccessLog(engine)
    at = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)
    written = await log.append(entry(at=at, roles=["b", "a", "b"], purpose=None))
    (read,) = await log.for_dossiers(["d-1"])
    assert read == written
    assert (read.at, read.roles, read.purpose) == (at, ["a", "b"], None)


@pytest.mark.parametrize(
    "column, value",
    [
        ("purpose", "curiosity"),
        ("categories", ["summary", "health"]),
        ("agent_id", "someone"),
        ("outcome", "allowed"),
        ("at", datetime(2020, 1, 1, tzinfo=UTC)),
    ],
)
async def test_altering_one_entry_is_detected_with_its_seq(
    engine: AsyncEngine, column: str, value: Any
) -> None:
    log = AccessLog(engine)
    for number in range(5):
        await log.append(entry(f"d-{number}"))
    async with engine.begin() as connection:
        await connection.execute(
            update(access_log).where(access_log.c.seq == 3).values({column: value})
        )
    check = await log.verify()
    assert (check.ok, check.first_broken_seq, check.entries) == (False, 3, 3)
    assert check.detail == "its content does not match its hash"


async def test_rehashing_an_altered_entry_breaks_the_next_link(engine: AsyncEngine) -> None:
    log = AccessLog(engine)
    records = [await log.append(entry(f"d-{n}")) for n in range(4)]
    forged = records[1].fields() | {"purpose": "curiosity"}
    async with engine.begin() as connection:
        await connection.execute(
            update(access_log)
            .where(access_log.c.seq == 2)
            .values(purpose="curiosity", hash=chain_hash(records[0].hash, forged))
        )
    check = await log.verify()
    assert (check.ok, check.first_broken_seq) == (False, 3)
    assert check.detail == "its previous hash does not match the entry before it"


@pytest.mark.parametrize("deleted", [1, 3])
async def test_deleting_an_entry_is_detected(engine: AsyncEngine, deleted: int) -> None:
    log = AccessLog(engine)
    for number in range(5):
        await log.append(entry(f"d-{number}"))
    async with engine.begin() as connection:
        await connection.execute(delete(access_log).where(access_log.c.seq == deleted))
    check = await log.verify()
    assert (check.ok, check.first_broken_seq) == (False, deleted + 1)
    assert check.detail == f"entry {deleted} is missing"


async def test_verify_reads_page_by_page(engine: AsyncEngine) -> None:
    log = AccessLog(engine, page_size=3)
    for number in range(10):
        await log.append(entry(f"d-{number}"))
    assert (await log.verify()).entries == 10
    async with engine.begin() as connection:
        await connection.execute(
            update(access_log).where(access_log.c.seq == 8).values(withheld=[])
        )
    assert (await log.verify()).first_broken_seq == 8


async def test_concurrent_appends_keep_one_linear_chain(engine: AsyncEngine) -> None:
    log = AccessLog(engine)
    records = await asyncio.gather(*(log.append(entry(f"d-{n}")) for n in range(20)))
    assert sorted(r.seq for r in records) == list(range(1, 21))
    assert len({r.prev_hash for r in records}) == 20
    check = await log.verify()
    assert (check.ok, check.entries) == (True, 20)


async def test_two_writers_grouping_their_appends_still_keep_one_chain(
    engine: AsyncEngine,
) -> None:
    """Each replica of the service commits its concurrent requests' entries together;
    the chain's lock still orders the groups of different replicas."""
    first, second = AccessLog(engine), AccessLog(engine)
    records = await asyncio.gather(
        *(log.append(entry(f"d-{n}")) for n in range(30) for log in (first, second))
    )
    assert sorted(r.seq for r in records) == list(range(1, 61))
    check = await first.verify()
    assert (check.ok, check.entries) == (True, 60)


async def test_append_in_joins_the_callers_transaction(engine: AsyncEngine) -> None:
    log = AccessLog(engine)
    with pytest.raises(RuntimeError):
        async with engine.begin() as connection:
            await log.append_in(connection, entry())
            raise RuntimeError("the consultation failed")
    async with engine.connect() as connection:
        assert (
            await connection.execute(select(func.count()).select_from(access_log))
        ).scalar() == 0
    async with engine.begin() as connection:
        await log.append_in(connection, entry())
    assert (await log.verify()).entries == 1


async def test_the_data_subject_reads_only_their_dossiers_entries(engine: AsyncEngine) -> None:
    log = AccessLog(engine)
    await log.append(entry("mine-1", authority="OE", purpose="residence"))
    await log.append(entry("other"))
    await log.append(entry(None, purpose="search"))
    await log.append(entry("mine-2", authority="INSP_FED", purpose="inspection"))
    await log.append(entry("mine-1", authority="POST", outcome="denied", categories=[]))
    mine = await log.for_dossiers(["mine-1", "mine-2", "mine-1"])
    assert [(r.dossier_id, r.authority, r.purpose, r.outcome) for r in mine] == [
        ("mine-1", "OE", "residence", "partial"),
        ("mine-2", "INSP_FED", "inspection", "partial"),
        ("mine-1", "POST", "admissibility", "denied"),
    ]
    assert await log.for_dossiers([]) == []


def test_an_entry_with_an_unknown_outcome_is_refused() -> None:
    with pytest.raises(ValueError, match="outcome"):
        entry(outcome="maybe")


def test_entry_for_a_consultation_judged_by_the_policy() -> None:
    caller = Caller("x", Authority.VLG, "agent-7", frozenset({"health_data"}), "admissibility")
    verdicts = evaluate(POLICY, Requester.of(caller), DossierFacts("VLG"))
    full = entry_for(caller, verdicts, dossier_id="d-1")
    assert full.outcome == "partial"
    assert "health" in full.categories and full.withheld == ["criminal_record"]
    asked = [DataCategory.SUMMARY, DataCategory.CRIMINAL_RECORD]
    assert entry_for(caller, verdicts, dossier_id="d-1", requested=asked[:1]).outcome == "allowed"
    assert entry_for(caller, verdicts, dossier_id="d-1", requested=asked[1:]).outcome == "denied"


async def test_the_migration_keeps_at_most_one_active_projection_generation(
    engine: AsyncEngine,
) -> None:
    insert = text(
        "insert into projection_generations (generation, state, created_at) "
        "values (:generation, :state, :at)"
    )
    now = datetime.now(UTC)
    async with engine.begin() as connection:
        await connection.execute(insert, {"generation": 1, "state": "active", "at": now})
        await connection.execute(insert, {"generation": 2, "state": "building", "at": now})
    for generation, state in [(3, "active"), (4, "stale")]:
        with pytest.raises(IntegrityError):
            async with engine.begin() as connection:
                await connection.execute(
                    insert, {"generation": generation, "state": state, "at": now}
                )
    async with engine.begin() as connection:
        retire = "update projection_generations set state = :state where generation = :generation"
        await connection.execute(text(retire), {"state": "retired", "generation": 1})
        await connection.execute(text(retire), {"state": "active", "generation": 2})
