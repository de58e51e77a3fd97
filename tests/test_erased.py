"""An erased dossier answers 410 Gone everywhere, on the embedded default and on
PostgreSQL + Kafka, from the moment its key is destroyed: while the services are still
deleting their rows, and after.

Art. 27 of the cooperation agreement (end of retention) and GDPR Art. 17 (erasure):
the retention service destroys the dossier's key, then each service deletes its rows
when ``DossierPurged`` reaches it. In between, a read or a decision must neither fail
(500) nor open anything; once the rows are gone the answer stays 410, not 404.
"""

from __future__ import annotations

from datetime import date

import httpx
import pytest
from sqlalchemy import select

from guichet_contracts.vocabulary import Authority
from guichet_core.stores.vault import open_vault
from guichet_intake.tables import dossier_status
from guichet_retention.handlers import purge
from guichet_retention.settings import RetentionSettings

from .stacks import Stack, documents_requested
from .support import WORKER_NISS, application_form, document, environment, eventually

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture(scope="module")
def stack_retention() -> RetentionSettings:
    return RetentionSettings(today=date.today(), purge_interval_seconds=3600)


def gone(response: httpx.Response) -> bool:
    """410 as an RFC 9457 problem that says why, and nothing of the dossier."""
    if response.status_code != 410:
        return False
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == 410 and "erased" in problem["detail"]
    assert WORKER_NISS not in response.text and "Diallo" not in response.text
    return True


async def awaiting_documents(stack: Stack) -> tuple[str, str]:
    """A dossier every service holds, with a request for documents open; its request id."""
    filed = await stack.intake.post(
        "/applications", json=application_form(postcode="2000"), headers=stack.tokens.employer()
    )
    assert filed.status_code == 201, filed.text
    dossier = str(filed.json()["application_id"])
    vlg, oe = stack.tokens.header(Authority.VLG), stack.tokens.header(Authority.OE)

    async def everywhere() -> bool:
        got = [
            await stack.region.get(f"/dossiers/{dossier}", headers=vlg),
            await stack.office.get(f"/dossiers/{dossier}", headers=oe),
            await stack.consultation.get(f"/dossiers/{dossier}", headers=oe),
        ]
        return all(r.status_code == 200 for r in got)

    await eventually(everywhere, "every service holds the dossier")
    return dossier, await documents_requested(stack, dossier)


async def every_service_answers_gone(stack: Stack, dossier: str, request_id: str) -> None:
    employer, worker = stack.tokens.employer(), stack.tokens.worker()
    vlg, oe = stack.tokens.header(Authority.VLG), stack.tokens.header(Authority.OE)
    region = stack.apps[1].state.runtime
    recorded = len(await region.store.read_stream(dossier))
    url = f"/dossiers/{dossier}"
    assert gone(await stack.intake.get(f"/applications/{dossier}", headers=employer))
    supplied = await stack.intake.post(
        f"/applications/{dossier}/supplementary-documents",
        headers=employer,
        json={"request_id": request_id, "documents": [document("employment_contract")]},
    )
    assert gone(supplied)
    assert gone(await stack.region.get(url, headers=vlg))
    assert gone(
        await stack.region.post(
            url + "/work-decision", headers=vlg, json={"authorised": False, "reasons": "too late"}
        )
    )
    assert gone(
        await stack.region.post(
            url + "/withdrawal", headers=vlg, json={"reasons": "nothing to withdraw"}
        )
    )
    assert len(await region.store.read_stream(dossier)) == recorded  # nothing half-stored
    assert gone(await stack.office.get(url, headers=oe))
    assert stack.retention is not None
    assert gone(
        await stack.retention.post(
            "/rights-requests",
            headers=worker,
            json={
                "dossier_id": dossier,
                "kind": "access",
                "concern": "work",
                "details": "What do you hold about me?",
            },
        )
    )
    # at once, though consultation's key cache still holds the key (vault.py)
    assert gone(await stack.consultation.get(url, headers=oe))
    mine = await stack.consultation.get("/me/dossiers", headers=worker)
    assert mine.status_code == 200 and dossier not in mine.text  # the rest still listed


async def test_while_the_services_delete_their_rows_an_erased_dossier_is_gone(
    stack: Stack,
) -> None:
    dossier, request_id = await awaiting_documents(stack)
    # The first step of a purge alone: the key is destroyed; DossierPurged is not yet out.
    with environment(**stack.secrets):
        vault, engine = await open_vault(stack.settings)
    try:
        assert await vault.shred(dossier)
    finally:
        await engine.dispose()
    await every_service_answers_gone(stack, dossier, request_id)


async def test_once_the_services_deleted_their_rows_an_erased_dossier_is_still_gone(
    stack: Stack,
) -> None:
    dossier, request_id = await awaiting_documents(stack)
    retention = stack.apps[4].state.runtime
    await purge(retention, dossier, retention.deps.rules, erasure=True, today=date.today())
    intake = stack.apps[0].state.runtime

    async def intake_erased() -> bool:
        query = select(dossier_status.c.dossier_id).where(dossier_status.c.dossier_id == dossier)
        async with intake.engine.connect() as connection:
            return (await connection.execute(query)).first() is None

    await eventually(intake_erased, "intake deletes its rows")
    await every_service_answers_gone(stack, dossier, request_id)
