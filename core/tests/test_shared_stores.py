"""The shared stores are opened one way, and only by the services that use them.

Every service opens the key store and the token deny-list; a service that notifies
applicants (Art. 20 §5) also opens the e-box. Started together on a new database, six
services migrate the same schemas at once: each takes its turn under the per-schema
migration lock, and none crashes on a schema another is creating.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from guichet_contracts.vocabulary import Authority
from guichet_core.http.auth import Caller
from guichet_core.http.revocation import open_revocations
from guichet_core.kernel.settings import ServiceSettings
from guichet_core.service import ServiceSpec, create_app
from guichet_core.stores.ebox import EBoxMessage, open_ebox
from guichet_core.stores.shared_stores import shared_database
from guichet_core.stores.vault import MasterKey, open_vault

NISS = "85073003328"


def _on_postgres(postgres_url: str, namespace: str, data_dir: Path) -> ServiceSettings:
    return ServiceSettings(
        backend="postgres-kafka",
        data_dir=data_dir,
        database_url=postgres_url,
        kafka_bootstrap="127.0.0.1:1",  # never contacted here
        namespace=namespace,
        master_key=MasterKey.generate().to_base64(),
    )


async def _open_like_a_service(settings: ServiceSettings, number: int) -> None:
    """What ``start_runtime`` opens of the shared stores, each used once."""
    vault, keystore = await open_vault(settings)
    revocations, deny_list = await open_revocations(settings)
    ebox, box = await open_ebox(settings, vault)
    try:
        await revocations.revoke_token(f"jti-{number}")
        caller = Caller(NISS, Authority.APPLICANT, NISS, token_id=f"jti-{number}")
        assert await revocations.is_revoked(caller)
        await ebox.deliver(EBoxMessage(f"m-{number}", NISS, "d-1", "s", "b", "nl"))
    finally:
        for engine in (keystore, deny_list, box):
            await engine.dispose()


async def test_six_services_starting_at_once_on_a_fresh_database_open_every_shared_store(
    postgres_url: str, pg_namespace: str, tmp_path: Path
) -> None:
    settings = _on_postgres(postgres_url, pg_namespace, tmp_path)
    for store in ("keystore", "ebox", "revocations"):
        assert shared_database(settings, store).schema == pg_namespace + store
    opened = await asyncio.gather(
        *(_open_like_a_service(settings, n) for n in range(6)), return_exceptions=True
    )
    failures = [o for o in opened if isinstance(o, BaseException)]
    assert not failures, f"{len(failures)} of 6 failed: {failures[0]!r}"
    vault, keystore = await open_vault(settings)
    ebox, box = await open_ebox(settings, vault)
    try:
        delivered = await ebox.messages_for(NISS)
    finally:
        await box.dispose()
        await keystore.dispose()
    assert sorted(m.message_id for m in delivered) == [f"m-{n}" for n in range(6)]


def _spec(*, notifies: bool) -> ServiceSpec:
    return ServiceSpec(
        name="probe",
        title="A probe",
        description="A service with no routes of its own",
        topic="guichet.probe.v1",
        follows_purges=False,
        notifies=notifies,
    )


@pytest.mark.parametrize("notifies", [True, False])
def test_only_a_service_that_notifies_opens_the_ebox_and_a_mail_sender(
    notifies: bool, tmp_path: Path
) -> None:
    settings = ServiceSettings(backend="embedded", data_dir=tmp_path / "var")
    with TestClient(create_app(_spec(notifies=notifies), settings)) as client:
        report = client.get("/health").json()
        runtime = client.app.state.runtime  # type: ignore[attr-defined]
        assert (runtime.notifier is not None) is notifies
        if not notifies:
            with pytest.raises(RuntimeError, match="notifies=False"):
                runtime.ebox  # noqa: B018  # a wiring mistake says what is wrong
    assert (tmp_path / "var" / "ebox.sqlite3").exists() is notifies
    assert ("probe-notifications" in report["tasks"]) is notifies
    assert (report["notifications"] is not None) is notifies
    assert report["database"] == "ok" and report["service"] == "probe"
