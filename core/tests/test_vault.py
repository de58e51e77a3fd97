"""The personal-data vault: sealed per dossier, crypto-shredded by deleting the key.

Runs on both key-store backends (a SQLite file and a PostgreSQL schema).
"""

from __future__ import annotations

import asyncio
import base64
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from guichet_contracts.sealed import SealedData
from guichet_core.kernel.settings import ServiceSettings
from guichet_core.kernel.store.database import DatabaseConfig, create_engine, migrate
from guichet_core.stores.shared_stores import shared_database
from guichet_core.stores.vault import (
    VAULT_MIGRATIONS_DIR,
    KeyNotFound,
    KeyShredded,
    MasterKey,
    MasterKeyError,
    PersonalDataVault,
    SealBroken,
    SqlKeyStore,
    data_keys,
    master_key_for,
    open_vault,
)

NISS = "85073003328"
PERSON = {
    "family_name": "Vandersteen",
    "given_names": ["Amira"],
    "niss": NISS,
    "birth_date": "1985-07-30",
    "passport": {"number": "EM1234567", "country": "MA"},
}


@pytest.fixture
def keystore_config(
    database_backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> DatabaseConfig:
    if database_backend == "sqlite":
        return DatabaseConfig(url=f"sqlite:///{tmp_path / 'keystore.sqlite3'}")
    namespace = request.getfixturevalue("pg_namespace")
    return DatabaseConfig(
        url=request.getfixturevalue("postgres_url"), schema=namespace + "keystore"
    )


@pytest.fixture
async def engine(keystore_config: DatabaseConfig) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(keystore_config)
    await migrate(
        engine, keystore_config, version_locations=[VAULT_MIGRATIONS_DIR], include_core=False
    )
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
def master_key() -> MasterKey:
    return MasterKey.generate()


@pytest.fixture
def vault(engine: AsyncEngine, master_key: MasterKey) -> PersonalDataVault:
    return PersonalDataVault(SqlKeyStore(engine, master_key))


def _decoded(sealed: SealedData) -> bytes:
    return base64.b64decode(sealed.ciphertext) + base64.b64decode(sealed.nonce)


async def test_seal_then_unseal_gives_the_data_back(vault: PersonalDataVault) -> None:
    sealed = await vault.seal("app-1", PERSON)

    assert sealed.key_id == "app-1"
    assert sealed.alg == "AES-256-GCM"
    assert len(base64.b64decode(sealed.nonce)) == 12
    assert await vault.unseal(sealed) == PERSON
    assert await vault.unseal(sealed, dossier_id="app-1") == PERSON


async def test_documents_are_sealed_as_bytes(vault: PersonalDataVault) -> None:
    document = b"%PDF-1.7 passport scan " + bytes(range(256))
    sealed = await vault.seal_bytes("app-1", document)

    assert await vault.unseal_bytes(sealed) == document
    assert b"passport scan" not in _decoded(sealed)


async def test_the_sealed_form_holds_no_personal_value_in_clear(vault: PersonalDataVault) -> None:
    sealed = await vault.seal("app-1", PERSON)
    wire = sealed.model_dump_json().encode()

    for value in (NISS, "Vandersteen", "Amira", "EM1234567", "1985-07-30"):
        assert value.encode() not in wire
        assert value.encode() not in _decoded(sealed)


async def test_each_seal_uses_a_fresh_nonce(vault: PersonalDataVault) -> None:
    first, second = await vault.seal("app-1", PERSON), await vault.seal("app-1", PERSON)

    assert first.nonce != second.nonce
    assert first.ciphertext != second.ciphertext


async def test_a_sealed_value_moved_to_another_dossier_does_not_open(
    vault: PersonalDataVault,
) -> None:
    sealed = await vault.seal("app-1", PERSON)
    await vault.seal("app-2", {"family_name": "Other"})

    with pytest.raises(SealBroken):
        await vault.unseal(sealed.model_copy(update={"key_id": "app-2"}))
    with pytest.raises(SealBroken):
        await vault.unseal(sealed, dossier_id="app-2")


async def test_a_tampered_ciphertext_does_not_open(vault: PersonalDataVault) -> None:
    sealed = await vault.seal("app-1", PERSON)
    raw = bytearray(base64.b64decode(sealed.ciphertext))
    raw[0] ^= 1
    tampered = sealed.model_copy(update={"ciphertext": base64.b64encode(raw).decode()})

    with pytest.raises(SealBroken):
        await vault.unseal(tampered)


async def test_a_dossier_that_never_had_a_key_is_not_found(vault: PersonalDataVault) -> None:
    sealed = SealedData(key_id="app-unknown", alg="AES-256-GCM", nonce="AAAA", ciphertext="AAAA")

    with pytest.raises(KeyNotFound):
        await vault.unseal(sealed)
    assert not await vault.is_shredded("app-unknown")


async def test_after_shredding_nothing_sealed_before_opens(vault: PersonalDataVault) -> None:
    sealed = [await vault.seal("app-1", PERSON), await vault.seal_bytes("app-1", b"scan")]
    other = await vault.seal("app-2", PERSON)

    assert await vault.shred("app-1") is True

    assert await vault.is_shredded("app-1")
    with pytest.raises(KeyShredded):
        await vault.unseal(sealed[0])
    with pytest.raises(KeyShredded):
        await vault.unseal_bytes(sealed[1])
    assert await vault.unseal(other) == PERSON  # other dossiers are untouched
    assert await vault.shred("app-1") is False  # already shredded


async def test_a_shredded_key_keeps_its_row_but_not_the_key(
    vault: PersonalDataVault, engine: AsyncEngine
) -> None:
    await vault.seal("app-1", PERSON)
    await vault.shred("app-1")

    async with engine.connect() as connection:
        row = (await connection.execute(select(data_keys))).one()
    assert row.dossier_id == "app-1"
    assert row.wrapped_key is None
    assert row.shredded_at is not None


async def test_a_shredded_dossier_never_gets_a_new_key(vault: PersonalDataVault) -> None:
    await vault.seal("app-1", PERSON)
    await vault.shred("app-1")

    with pytest.raises(KeyShredded):
        await vault.seal("app-1", PERSON)
    with pytest.raises(KeyShredded):
        await vault.seal_bytes("app-1", b"scan")


async def test_shredding_a_dossier_without_key_still_forbids_one(vault: PersonalDataVault) -> None:
    assert await vault.shred("app-never-sealed") is False

    assert await vault.is_shredded("app-never-sealed")
    with pytest.raises(KeyShredded):
        await vault.seal("app-never-sealed", PERSON)


async def test_keys_made_together_open_like_any_and_spare_existing_and_shredded_ones(
    vault: PersonalDataVault,
) -> None:
    kept = await vault.seal("app-kept", PERSON)
    await vault.shred("app-gone")

    await vault.create_keys(["app-new-1", "app-new-2", "app-kept", "app-gone", "app-new-1"])

    assert await vault.unseal(kept) == PERSON  # its key was not replaced
    for dossier in ("app-new-1", "app-new-2"):
        assert await vault.unseal(await vault.seal(dossier, PERSON)) == PERSON
    with pytest.raises(KeyShredded):
        await vault.seal("app-gone", PERSON)


async def test_concurrent_seals_for_a_new_dossier_share_one_key(
    engine: AsyncEngine, master_key: MasterKey
) -> None:
    # Separate stores, no shared cache: the database alone must settle the race. A seal
    # that loses it on PostgreSQL reads the winner's key, never "no data key" (the race
    # is lost now and then only: ten dossiers, ten racers each).
    for round_ in range(10):
        vaults = [PersonalDataVault(SqlKeyStore(engine, master_key)) for _ in range(10)]
        dossier = f"app-race-{round_}"
        sealed = await asyncio.gather(*(v.seal(dossier, {"n": n}) for n, v in enumerate(vaults)))
        reader = PersonalDataVault(SqlKeyStore(engine, master_key))
        assert [await reader.unseal(s) for s in sealed] == [{"n": n} for n in range(10)]
    async with engine.connect() as connection:
        assert (
            await connection.execute(select(func.count()).select_from(data_keys))
        ).scalar() == 10


async def test_a_wrong_master_key_cannot_unwrap(engine: AsyncEngine, master_key: MasterKey) -> None:
    sealed = await PersonalDataVault(SqlKeyStore(engine, master_key)).seal("app-1", PERSON)
    intruder = PersonalDataVault(SqlKeyStore(engine, MasterKey.generate()))

    with pytest.raises(MasterKeyError, match="wrapped by master key " + master_key.key_id):
        await intruder.unseal(sealed)
    with pytest.raises(MasterKeyError):
        await intruder.seal("app-1", PERSON)


async def test_a_master_key_unwraps_only_what_it_wrapped_for_that_dossier(
    master_key: MasterKey,
) -> None:
    wrapped = master_key.wrap("app-1", b"k" * 32)

    assert master_key.unwrap("app-1", wrapped) == b"k" * 32
    with pytest.raises(MasterKeyError, match="cannot unwrap"):
        master_key.unwrap("app-2", wrapped)
    with pytest.raises(MasterKeyError, match="cannot unwrap"):
        MasterKey.generate().unwrap("app-1", wrapped)


async def test_a_shred_by_another_process_takes_effect_when_the_cache_expires(
    engine: AsyncEngine, master_key: MasterKey
) -> None:
    now = [0.0]  # the reader's clock, moved by hand: no waiting out a real cache timeout
    reader = PersonalDataVault(SqlKeyStore(engine, master_key, cache_ttl=5, clock=lambda: now[0]))
    sealed = await reader.seal("app-1", PERSON)
    await PersonalDataVault(SqlKeyStore(engine, master_key)).shred("app-1")

    now[0] = 4.9
    assert await reader.unseal(sealed) == PERSON  # still cached: the other's shred unseen
    now[0] = 5.1
    with pytest.raises(KeyShredded):
        await reader.unseal(sealed)


def test_a_master_key_has_32_bytes_and_an_id_from_its_hash() -> None:
    key = MasterKey.from_base64(base64.b64encode(b"\x01" * 32).decode())

    assert len(key.key_id) == 8
    assert key.key_id == MasterKey(b"\x01" * 32).key_id
    assert "\\x01" not in repr(key)
    with pytest.raises(MasterKeyError):
        MasterKey.from_base64(base64.b64encode(b"short").decode())
    with pytest.raises(MasterKeyError):
        MasterKey.from_base64("not base64!")


def test_the_master_key_comes_from_the_settings(tmp_path: Path) -> None:
    configured = MasterKey.generate()
    settings = ServiceSettings(
        backend="embedded", data_dir=tmp_path, master_key=configured.to_base64()
    )

    key = master_key_for(settings)

    assert key == configured
    assert not (tmp_path / "master.key").exists()


def test_the_embedded_default_creates_a_private_master_key_file_once(tmp_path: Path) -> None:
    settings = ServiceSettings(backend="embedded", data_dir=tmp_path / "var", master_key=None)

    first = master_key_for(settings)

    path = tmp_path / "var" / "master.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert master_key_for(settings) == first  # the same key on every start
    assert [p.name for p in path.parent.iterdir()] == ["master.key"]


async def test_postgres_kafka_refuses_to_start_without_a_master_key(tmp_path: Path) -> None:
    settings = ServiceSettings(
        backend="postgres-kafka",
        data_dir=tmp_path,
        database_url="postgresql://nobody@127.0.0.1:1/none",
        kafka_bootstrap="127.0.0.1:1",
        master_key=None,
    )

    with pytest.raises(MasterKeyError, match="needs GUICHET_MASTER_KEY"):
        master_key_for(settings)
    with pytest.raises(MasterKeyError, match="needs GUICHET_MASTER_KEY"):
        await open_vault(settings)
    assert not (tmp_path / "master.key").exists()


async def test_the_embedded_vault_keeps_its_keys_in_its_own_file(tmp_path: Path) -> None:
    settings = ServiceSettings(
        backend="embedded", data_dir=tmp_path, namespace="acc_", master_key=None
    )
    assert shared_database(settings, "keystore").url == f"sqlite:///{tmp_path}/acc_keystore.sqlite3"

    vault, engine = await open_vault(settings)
    try:
        sealed = await vault.seal("app-1", PERSON)
    finally:
        await engine.dispose()
    vault, engine = await open_vault(settings)  # a restart reads the same keys
    try:
        assert await vault.unseal(sealed) == PERSON
    finally:
        await engine.dispose()
    assert (tmp_path / "acc_keystore.sqlite3").exists()


def _on_postgres(postgres_url: str, namespace: str, data_dir: Path) -> ServiceSettings:
    return ServiceSettings(
        backend="postgres-kafka",
        data_dir=data_dir,
        database_url=postgres_url,
        kafka_bootstrap="127.0.0.1:1",
        namespace=namespace,
        master_key=MasterKey.generate().to_base64(),
    )


async def test_on_postgres_the_vault_keeps_its_keys_in_the_keystore_schema(
    postgres_url: str, pg_namespace: str, tmp_path: Path
) -> None:
    settings = _on_postgres(postgres_url, pg_namespace, tmp_path)
    assert shared_database(settings, "keystore").schema == pg_namespace + "keystore"

    vault, engine = await open_vault(settings)
    try:
        assert await vault.unseal(await vault.seal("app-1", PERSON)) == PERSON
    finally:
        await engine.dispose()
    connection = await asyncpg.connect(postgres_url)
    try:
        tables = await connection.fetch(
            "select table_name from information_schema.tables where table_schema = $1",
            pg_namespace + "keystore",
        )
    finally:
        await connection.close()
    assert sorted(row["table_name"] for row in tables) == ["alembic_version", "data_keys"]
    assert not (tmp_path / "master.key").exists()


async def test_six_services_starting_at_once_on_a_fresh_database_all_open_the_key_store(
    postgres_url: str, pg_namespace: str, tmp_path: Path
) -> None:
    """Every service opens (and migrates) the one key store of the platform when it
    starts; started together on a new database, none may crash on the schema another
    is creating (issue 12, defect 7)."""
    settings = _on_postgres(postgres_url, pg_namespace, tmp_path)
    for attempt in range(3):  # the race needs the schema absent: a new namespace each time
        fresh = settings.model_copy(update={"namespace": f"{pg_namespace}{attempt}_"})
        opened = await asyncio.gather(
            *(open_vault(fresh) for _ in range(6)), return_exceptions=True
        )
        try:
            failures = [o for o in opened if isinstance(o, BaseException)]
            assert not failures, f"{len(failures)} of 6 failed: {failures[0]!r}"
            vaults = [o for o in opened if not isinstance(o, BaseException)]
            sealed = await vaults[0][0].seal("app-1", PERSON)
            assert await vaults[5][0].unseal(sealed) == PERSON
        finally:
            for opened_vault in opened:
                if not isinstance(opened_vault, BaseException):
                    await opened_vault[1].dispose()


async def test_concurrent_migrations_of_one_fresh_schema_run_one_after_the_other(
    postgres_url: str, pg_namespace: str
) -> None:
    """Any schema (a service's own, with two replicas starting) migrates under one lock."""
    config = DatabaseConfig(url=postgres_url, schema=pg_namespace + "replicated")
    engines = [create_engine(config) for _ in range(4)]
    try:
        results = await asyncio.gather(
            *(migrate(engine, config, version_locations=[]) for engine in engines),
            return_exceptions=True,
        )
        assert [r for r in results if isinstance(r, BaseException)] == []
    finally:
        for engine in engines:
            await engine.dispose()
