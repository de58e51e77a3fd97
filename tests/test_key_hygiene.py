"""Key hygiene: a negative decision's reasons are sealed wherever they wait, and a data
key exists only for a dossier the platform holds; on both deployments.

Art. 24: the full text of a negative decision reaches the third-country national alone.
Until the notification is delivered (and, in the e-box, until the dossier is purged,
Art. 27) the reasons sit in the deciding service's notification outbox and in the
e-box: sealed with the dossier's key like every other personal value, so that
destroying that key erases them too, and a reader of the raw tables learns nothing.
A refused call on an id the platform does not hold must leave nothing behind, not even
a data key (GDPR Art. 5 §1 c, data minimisation).
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from guichet_contracts.vocabulary import Authority
from guichet_core.service import Runtime
from guichet_core.stores.vault import SqlKeyStore, data_keys

from .scan import every_row
from .stacks import Stack
from .support import application_form, eventually

pytestmark = pytest.mark.asyncio(loop_scope="module")

# ASCII on purpose: the scan searches raw text, where JSON may escape accents.
REASONS = "Contract hours below the legal minimum (ground 4c-QZ17)."


def runtime(stack: Stack, index: int = 0) -> Runtime:
    return stack.apps[index].state.runtime  # type: ignore[no-any-return]


async def key_rows(stack: Stack) -> int:
    key_store = runtime(stack).vault.key_store
    assert isinstance(key_store, SqlKeyStore)
    async with key_store.engine.connect() as connection:
        return int(
            (await connection.execute(select(func.count()).select_from(data_keys))).scalar_one()
        )


async def test_refusals_on_unknown_dossiers_create_no_data_key(stack: Stack) -> None:
    vlg, oe = stack.tokens.header(Authority.VLG), stack.tokens.header(Authority.OE)
    start = date.today() + timedelta(days=30)
    validity = {
        "valid_from": start.isoformat(),
        "valid_until": (start + timedelta(365)).isoformat(),
    }
    calls: list[tuple[Any, str, dict[str, str], dict[str, Any]]] = [
        (stack.region, "admissibility", vlg, {"admissible": False, "reasons": REASONS}),
        (stack.region, "work-decision", vlg, {"authorised": False, "reasons": REASONS}),
        (stack.region, "professional-card-decision", vlg, {"granted": False, "reasons": REASONS}),
        (stack.region, "withdrawal", vlg, {"reasons": REASONS}),
        (stack.region, "work-decision", vlg, {"authorised": True, **validity}),
        (stack.office, "residence-decision", oe, {"authorised": False, "reasons": REASONS}),
        (stack.office, "withdrawal", oe, {"reasons": REASONS}),
        (stack.office, "end-of-stay", oe, {"reasons": REASONS}),
    ]
    before = await key_rows(stack)
    for client, action, token, body in calls:
        unknown = uuid.uuid4()
        response = await client.post(f"/dossiers/{unknown}/{action}", json=body, headers=token)
        assert response.status_code == 404, (action, response.text)
        assert REASONS not in response.text
    assert await key_rows(stack) == before


async def test_a_region_not_competent_for_the_dossier_seals_nothing(stack: Stack) -> None:
    # Art. 9: the region of the place of work decides; another region's refusal is 403
    # and is not sealed, so no ciphertext of it is ever made with the dossier's key.
    filed = await stack.intake.post(
        "/applications", json=application_form(postcode="2000"), headers=stack.tokens.employer()
    )
    assert filed.status_code == 201, filed.text
    dossier_id = filed.json()["application_id"]
    vlg, wal = stack.tokens.header(Authority.VLG), stack.tokens.header(Authority.WAL)

    async def in_region() -> bool:
        return (await stack.region.get(f"/dossiers/{dossier_id}", headers=vlg)).status_code == 200

    await eventually(in_region, "the dossier reaches Flanders")
    vault = runtime(stack, 1).vault
    sealed: list[str] = []
    original = vault.seal

    async def spy(dossier: str, data: dict[str, Any]) -> Any:
        sealed.append(dossier)
        return await original(dossier, data)

    vault.seal = spy  # type: ignore[method-assign]
    try:
        refused = await stack.region.post(
            f"/dossiers/{dossier_id}/admissibility",
            json={"admissible": False, "reasons": REASONS},
            headers=wal,
        )
    finally:
        vault.seal = original  # type: ignore[method-assign]
    assert refused.status_code == 403, refused.text
    assert sealed == []


async def test_refusal_reasons_are_sealed_in_the_outbox_and_the_ebox(stack: Stack) -> None:
    filed = await stack.intake.post(
        "/applications",
        json=application_form(postcode="4000", worker_email="w-keys@example.org"),
        headers=stack.tokens.employer(),
    )
    assert filed.status_code == 201, filed.text
    dossier_id = filed.json()["application_id"]
    wal = stack.tokens.header(Authority.WAL)

    async def in_region() -> bool:
        return (await stack.region.get(f"/dossiers/{dossier_id}", headers=wal)).status_code == 200

    await eventually(in_region, "the dossier reaches Wallonia")
    refused = await stack.region.post(
        f"/dossiers/{dossier_id}/admissibility",
        json={"admissible": False, "reasons": REASONS},
        headers=wal,
    )
    assert refused.status_code == 200, refused.text

    async def worker_told() -> Any:
        box = (await stack.intake.get("/ebox", headers=stack.tokens.worker())).json()
        return [m for m in box if m["dossier_id"] == dossier_id]

    # The worker reads the reasons in the e-box and the e-mail (Art. 20 §5, 24)...
    (message,) = await eventually(worker_told, "the worker's e-box holds the decision")
    assert REASONS in message["body"]
    mails = await eventually(lambda: _mails(stack, "w-keys@example.org"), "the mail arrives")
    assert REASONS in mails[0].get_payload(decode=True).decode()

    # ...while no table of any store holds them in clear, delivered or not.
    rows = await every_row(stack)
    holding = {place for place, text in rows if REASONS in text}
    assert holding == set(), holding
    outbox = [text for place, text in rows if place.endswith(".notification_outbox")]
    ebox = [text for place, text in rows if place.endswith(".ebox_messages")]
    assert any(dossier_id in text for text in outbox) and any(dossier_id in t for t in ebox)


async def _mails(stack: Stack, address: str) -> Any:
    return stack.mailbox.to(address)
