"""The idempotency store: one caller's key on one route is claimed once, answered once,
and forgotten after its time; on both databases (a SQLite file, a PostgreSQL schema).

Art. 19-20: one filing makes one dossier, even when the client retries. The kept answer
may hold personal data: it is sealed with its dossier's key (GDPR Art. 32) and unreadable
once that key is destroyed (Art. 27).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from guichet_core.kernel.settings import ServiceSettings
from guichet_core.kernel.store.database import DatabaseConfig, create_engine, migrate
from guichet_core.kernel.store.sql import SqlEventStore
from guichet_core.stores.idempotency import (
    Answered,
    Busy,
    Claim,
    ClaimLost,
    IdempotencyStore,
    hash_of,
    idempotency_keys,
    scope_of,
)
from guichet_core.stores.vault import (
    VAULT_MIGRATIONS_DIR,
    KeyNotFound,
    MasterKey,
    PersonalDataVault,
    SqlKeyStore,
)

DOSSIER = "3f2b0c9e-1d4a-4e8b-9c7f-2a6d5e8b1c40"
BODY = b'{"kind": "single_permit", "worker": {"last_name": "Diallo"}}'
ANSWER = b'{"application_id": "3f2b0c9e-1d4a-4e8b-9c7f-2a6d5e8b1c40", "name": "Diallo"}'
T0 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
async def vault(
    database_backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[PersonalDataVault]:
    if database_backend == "sqlite":
        config = DatabaseConfig(url=f"sqlite:///{tmp_path / 'keystore.sqlite3'}")
    else:
        namespace = request.getfixturevalue("pg_namespace")
        config = DatabaseConfig(url=request.getfixturevalue("postgres_url"), schema=namespace + "k")
    engine = create_engine(config)
    await migrate(engine, config, version_locations=[VAULT_MIGRATIONS_DIR], include_core=False)
    try:
        vault = PersonalDataVault(SqlKeyStore(engine, MasterKey.generate()))
        await vault.create_keys([DOSSIER])  # the dossier was filed: it has its key
        yield vault
    finally:
        await engine.dispose()


def store_at(
    event_store: SqlEventStore, vault: PersonalDataVault, moment: datetime, **options: timedelta
) -> IdempotencyStore:
    return IdempotencyStore(event_store.engine, vault, now=lambda: moment, **options)


SCOPE = scope_of("APPLICANT\x1f0403019261\x1f0403019261", "POST", "/applications", "k-1")


async def claimed(store: IdempotencyStore) -> Claim:
    claim = await store.claim(SCOPE, hash_of(BODY))
    assert isinstance(claim, Claim)
    return claim


async def answer(store: IdempotencyStore, claim: Claim, dossier_id: str = DOSSIER) -> None:
    await store.complete(
        claim, status_code=201, content_type="application/json", body=ANSWER, dossier_id=dossier_id
    )


async def test_a_key_is_claimed_once_and_then_answers_with_the_first_answer(
    event_store: SqlEventStore, vault: PersonalDataVault
) -> None:
    store = store_at(event_store, vault, T0)
    claim = await claimed(store)
    busy = await store.claim(SCOPE, hash_of(BODY))
    assert isinstance(busy, Busy) and busy.status == 409 and busy.retry_after
    await answer(store, claim)
    again = await store.claim(SCOPE, hash_of(BODY))
    assert again == Answered(201, "application/json", ANSWER)
    other = await store.claim(SCOPE, hash_of(BODY + b" "))
    assert isinstance(other, Busy) and other.status == 422
    assert "different request" in other.reason


async def test_the_kept_answer_is_sealed_and_dies_with_the_dossier_key(
    event_store: SqlEventStore, vault: PersonalDataVault
) -> None:
    store = store_at(event_store, vault, T0)
    await answer(store, await claimed(store))
    async with event_store.engine.connect() as connection:
        row = (await connection.execute(select(idempotency_keys))).one()
    assert "Diallo" not in str(tuple(row)) and "0403019261" not in str(tuple(row))
    assert row.sealed_response["alg"] == "AES-256-GCM"
    await vault.shred(DOSSIER)
    erased = await store.claim(SCOPE, hash_of(BODY))
    assert isinstance(erased, Busy) and erased.status == 410


async def test_keys_expire_after_their_time(
    event_store: SqlEventStore, vault: PersonalDataVault
) -> None:
    first = store_at(event_store, vault, T0, ttl=timedelta(hours=24))
    await answer(first, await claimed(first))
    within = store_at(event_store, vault, T0 + timedelta(hours=23))
    assert isinstance(await within.claim(SCOPE, hash_of(BODY)), Answered)
    after = store_at(event_store, vault, T0 + timedelta(hours=24, seconds=1))
    assert isinstance(await after.claim(SCOPE, hash_of(BODY + b"new")), Claim)


async def test_a_claim_whose_request_died_before_committing_is_taken_over_once(
    event_store: SqlEventStore, vault: PersonalDataVault
) -> None:
    dead = await store_at(event_store, vault, T0).claim(SCOPE, hash_of(BODY))
    assert isinstance(dead, Claim)
    later = store_at(event_store, vault, T0 + timedelta(minutes=2))
    taken = await later.claim(SCOPE, hash_of(BODY))
    assert isinstance(taken, Claim) and taken.lease_id != dead.lease_id
    # The first request, only slow, wakes up and tries to commit its effect: refused.
    with pytest.raises(ClaimLost):
        async with event_store.unit_of_work() as uow:
            await later.fence(uow.connection, dead)
    async with event_store.unit_of_work() as uow:
        await later.fence(uow.connection, taken)


async def test_a_committed_claim_without_an_answer_is_never_run_again(
    event_store: SqlEventStore, vault: PersonalDataVault
) -> None:
    store = store_at(event_store, vault, T0)
    claim = await claimed(store)
    async with event_store.unit_of_work() as uow:
        await store.fence(uow.connection, claim)  # the effect committed, then the crash
    later = store_at(event_store, vault, T0 + timedelta(minutes=5))
    busy = await later.claim(SCOPE, hash_of(BODY))
    assert isinstance(busy, Busy) and busy.status == 409 and "carried out" in busy.reason


async def test_a_released_key_may_be_used_again(
    event_store: SqlEventStore, vault: PersonalDataVault
) -> None:
    store = store_at(event_store, vault, T0)
    claim = await claimed(store)
    await store.release(claim)  # e.g. the form was refused with a 422
    assert isinstance(await store.claim(SCOPE, hash_of(BODY + b"corrected")), Claim)


def test_keys_are_scoped_to_the_caller_and_the_route() -> None:
    employer = "APPLICANT\x1f0403019261\x1f0403019261"
    other = "APPLICANT\x1f0202239951\x1f0202239951"
    assert scope_of(employer, "POST", "/applications", "k") != scope_of(
        other, "POST", "/applications", "k"
    )
    assert scope_of(employer, "POST", "/applications", "k") != scope_of(
        employer, "POST", "/applications/x/supplementary-documents", "k"
    )


def test_the_time_a_key_is_kept_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert ServiceSettings().idempotency_ttl_seconds == 86_400
    monkeypatch.setenv("GUICHET_IDEMPOTENCY_TTL_SECONDS", "3600")
    assert ServiceSettings().idempotency_ttl_seconds == 3600


async def test_an_answer_about_no_known_dossier_is_not_kept_and_makes_no_key(
    event_store: SqlEventStore, vault: PersonalDataVault
) -> None:
    store = store_at(event_store, vault, T0)
    claim = await claimed(store)
    unknown = "9a1c7e2b-0000-4000-8000-000000000000"
    await answer(store, claim, unknown)
    busy = await store.claim(SCOPE, hash_of(BODY))
    assert isinstance(busy, Busy) and busy.status == 409 and "not kept" in busy.reason
    assert not await vault.is_shredded(unknown)
    with pytest.raises(KeyNotFound):
        await vault.key_store.get_key(unknown)
