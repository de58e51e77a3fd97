"""A client that retries a POST with the same ``Idempotency-Key`` gets the first answer,
never a second dossier or decision; on the embedded default and on PostgreSQL + Kafka.

Art. 19-20: one online filing makes one dossier. A client whose request timed out (the
probe killed intake mid-batch: 110 filings committed, 109 acknowledged) cannot know
whether it was recorded, and must be able to ask again safely.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from guichet_contracts import ApplicationFiled
from guichet_contracts.vocabulary import Authority
from guichet_core.service import Runtime
from guichet_core.stores.idempotency import Claim, IdempotencyStore, hash_of, scope_of
from guichet_retention.settings import RetentionSettings

from .scan import every_row
from .stacks import Stack
from .support import EMPLOYER, application_form, eventually

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture(scope="module")
def stack_retention() -> RetentionSettings:
    return RetentionSettings(purge_interval_seconds=3600)


def intake(stack: Stack) -> Runtime:
    return stack.apps[0].state.runtime  # type: ignore[no-any-return]


async def filings(stack: Stack) -> int:
    events = await intake(stack).store.read_all(limit=100_000)
    return sum(1 for event in events if event.event_type == ApplicationFiled.event_type)


def keyed(headers: dict[str, str], key: str) -> dict[str, str]:
    return {**headers, "Idempotency-Key": key}


def as_employer(stack: Stack, key: str) -> dict[str, str]:
    return {**keyed(stack.tokens.employer(), key), "content-type": "application/json"}


# The employer's token names it as subject and agent (tests/support.py).
EMPLOYER_CALLER = f"APPLICANT\x1f{EMPLOYER}\x1f{EMPLOYER}"


async def test_a_retried_filing_gets_the_first_receipt_and_files_once(stack: Stack) -> None:
    key, form = str(uuid.uuid4()), application_form()
    before = await filings(stack)
    first = await stack.intake.post("/applications", json=form, headers=as_employer(stack, key))
    assert first.status_code == 201, first.text
    retried = await stack.intake.post("/applications", json=form, headers=as_employer(stack, key))
    assert (retried.status_code, retried.json()) == (201, first.json())
    assert retried.headers["idempotent-replayed"] == "true"
    assert await filings(stack) == before + 1
    # Without a key each POST is a new filing, as before.
    plain = await stack.intake.post("/applications", json=form, headers=stack.tokens.employer())
    assert plain.status_code == 201 and plain.json() != first.json()


async def test_the_same_key_for_another_body_is_422_and_files_nothing(stack: Stack) -> None:
    key = str(uuid.uuid4())
    first = await stack.intake.post(
        "/applications", json=application_form(), headers=as_employer(stack, key)
    )
    assert first.status_code == 201, first.text
    before = await filings(stack)
    other = await stack.intake.post(
        "/applications", json=application_form(postcode="9000"), headers=as_employer(stack, key)
    )
    assert other.status_code == 422
    assert other.headers["content-type"] == "application/problem+json"
    assert "different request" in other.json()["detail"] and key not in other.text
    assert await filings(stack) == before


async def test_a_retry_while_the_first_is_in_flight_is_409(stack: Stack) -> None:
    key, form = str(uuid.uuid4()), application_form()
    body = _json(form)
    store = intake(stack).idempotency
    assert store is not None
    # The first request has claimed the key and is still running.
    claim = await store.claim(scope_of(EMPLOYER_CALLER, "POST", "/applications", key), body)
    assert isinstance(claim, Claim)
    before = await filings(stack)
    busy = await stack.intake.post(
        "/applications", content=form_bytes(form), headers=as_employer(stack, key)
    )
    assert busy.status_code == 409, busy.text
    assert busy.headers["content-type"] == "application/problem+json"
    assert int(busy.headers["retry-after"]) >= 1 and "still being processed" in busy.text
    assert await filings(stack) == before


async def test_a_retry_after_intake_died_before_committing_files_once(stack: Stack) -> None:
    # SIGKILL-like: the first request claimed the key, then the process died before its
    # unit of work committed; once the lease has run out the retry files, once.
    key, form = str(uuid.uuid4()), application_form()
    runtime = intake(stack)
    assert runtime.idempotency is not None
    past = datetime.now(UTC) - timedelta(minutes=2)
    dead = IdempotencyStore(runtime.engine, runtime.vault, now=lambda: past)
    claim = await dead.claim(scope_of(EMPLOYER_CALLER, "POST", "/applications", key), _json(form))
    assert isinstance(claim, Claim)
    before = await filings(stack)
    headers = as_employer(stack, key)
    retried = await stack.intake.post("/applications", content=form_bytes(form), headers=headers)
    assert retried.status_code == 201, retried.text
    again = await stack.intake.post("/applications", content=form_bytes(form), headers=headers)
    assert again.json() == retried.json()
    assert await filings(stack) == before + 1


async def test_a_retry_after_intake_died_between_commit_and_answer_is_409(stack: Stack) -> None:
    # SIGKILL-like: the filing committed (the claim with it) but the answer was never
    # kept; the retry must not file a second dossier.
    key, form = str(uuid.uuid4()), application_form()
    runtime = intake(stack)
    store = runtime.idempotency
    assert store is not None
    claim = await store.claim(scope_of(EMPLOYER_CALLER, "POST", "/applications", key), _json(form))
    assert isinstance(claim, Claim)
    async with runtime.store.unit_of_work() as uow:
        await store.fence(uow.connection, claim)
    before = await filings(stack)
    retried = await stack.intake.post(
        "/applications", content=form_bytes(form), headers=as_employer(stack, key)
    )
    assert retried.status_code == 409 and "carried out" in retried.json()["detail"]
    assert await filings(stack) == before


async def test_keys_belong_to_their_caller(stack: Stack) -> None:
    key, form = str(uuid.uuid4()), application_form()
    mine = await stack.intake.post("/applications", json=form, headers=as_employer(stack, key))
    theirs = await stack.intake.post(
        "/applications",
        json=form,
        headers=keyed(stack.tokens.header(Authority.APPLICANT, "0202239951"), key),
    )
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["application_id"] != theirs.json()["application_id"]


async def test_a_refused_request_leaves_its_key_free(stack: Stack) -> None:
    key = str(uuid.uuid4())
    headers = as_employer(stack, key)
    refused = await stack.intake.post(
        "/applications", json=application_form(kind="no-such-kind"), headers=headers
    )
    assert refused.status_code == 422
    corrected = await stack.intake.post("/applications", json=application_form(), headers=headers)
    assert corrected.status_code == 201, corrected.text


async def test_a_retried_decision_gets_the_first_view_and_decides_once(stack: Stack) -> None:
    filed = await stack.intake.post(
        "/applications", json=application_form(postcode="2000"), headers=stack.tokens.employer()
    )
    dossier_id = filed.json()["application_id"]
    vlg = stack.tokens.header(Authority.VLG)

    async def in_region() -> bool:
        return (await stack.region.get(f"/dossiers/{dossier_id}", headers=vlg)).status_code == 200

    await eventually(in_region, "the dossier reaches Flanders")
    url, key = f"/dossiers/{dossier_id}/admissibility", str(uuid.uuid4())
    first = await stack.region.post(url, json={"admissible": True}, headers=keyed(vlg, key))
    assert first.status_code == 200, first.text
    retried = await stack.region.post(url, json={"admissible": True}, headers=keyed(vlg, key))
    assert (retried.status_code, retried.json()) == (200, first.json())
    # Without the key, deciding again is refused: the dossier moved on.
    assert (await stack.region.post(url, json={"admissible": True}, headers=vlg)).status_code == 409


async def test_kept_answers_are_sealed_and_keys_are_checked(stack: Stack) -> None:
    key = str(uuid.uuid4())
    filed = await stack.intake.post(
        "/applications", json=application_form(), headers=as_employer(stack, key)
    )
    assert filed.status_code == 201
    rows = [text for place, text in await every_row(stack) if place.endswith("idempotency_keys")]
    assert rows and not any(filed.json()["filed_at"][:19] in text for text in rows)
    assert not any(EMPLOYER in text for text in rows)
    for bad in (b"", b"x" * 256, "clé".encode()):
        headers: dict[str, Any] = {**stack.tokens.employer(), "Idempotency-Key": bad}
        refused = await stack.intake.post("/applications", json=application_form(), headers=headers)
        assert refused.status_code == 400, bad
        assert refused.headers["content-type"] == "application/problem+json"


async def test_a_retried_rights_request_is_received_once_and_kept_sealed(stack: Stack) -> None:
    # Art. 28-29: the data subject's request gets one dated acknowledgment, not two.
    assert stack.retention is not None
    filed = await stack.intake.post(
        "/applications", json=application_form(), headers=stack.tokens.employer()
    )
    dossier_id = filed.json()["application_id"]
    oe = stack.tokens.header(Authority.OE)

    async def known() -> bool:
        assert stack.retention is not None
        response = await stack.retention.get(f"/schedule/{dossier_id}", headers=oe)
        return response.status_code == 200

    await eventually(known, "retention knows the dossier")
    details = "Send me what you hold (ref. 77-IDEM)."
    body = {"dossier_id": dossier_id, "kind": "access", "concern": "work", "details": details}
    worker = keyed(stack.tokens.worker(), str(uuid.uuid4()))
    first = await stack.retention.post("/rights-requests", json=body, headers=worker)
    assert first.status_code == 201, first.text
    retried = await stack.retention.post("/rights-requests", json=body, headers=worker)
    assert (retried.status_code, retried.json()) == (201, first.json())
    mine = await stack.retention.get("/rights-requests/mine", headers=stack.tokens.worker())
    assert [r["dossier_id"] for r in mine.json()].count(dossier_id) == 1
    rows = [text for place, text in await every_row(stack) if place.endswith("idempotency_keys")]
    assert rows and not any(details in text for text in rows)


async def test_every_json_post_documents_the_idempotency_key(stack: Stack) -> None:
    for app in stack.apps:
        for path, operations in app.openapi()["paths"].items():
            body = operations.get("post", {}).get("requestBody", {}).get("content", {})
            if "application/json" in body:
                names = [p["name"] for p in operations["post"].get("parameters", [])]
                assert "Idempotency-Key" in names, path
                assert {"400", "409", "422"} <= set(operations["post"]["responses"]), path
    filing = stack.apps[0].openapi()["paths"]["/applications"]["post"]
    assert "Idempotency-Key" in [p["name"] for p in filing["parameters"]]


def form_bytes(form: dict[str, Any]) -> bytes:
    """The body exactly as sent, so that a test can claim its hash beforehand."""
    return json.dumps(form).encode()


def _json(form: dict[str, Any]) -> str:
    return hash_of(form_bytes(form))
