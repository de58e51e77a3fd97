"""The lifecycle of the three kinds of application, across intake, the competent region
and the Immigration Office, over the bus only (no service imports another's code), on
the embedded default and on PostgreSQL + Kafka.

Procedure (committee report): chronological — the region examines admissibility and the
work part first; only when work is authorised does the Office examine residence; a
single permit is granted when both are (Art. 2 §1 1° a), Art. 12 §1).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from guichet_contracts.vocabulary import Authority

from .scan import every_message, every_row
from .stacks import Stack
from .support import (
    PDF,
    WORKER_NISS,
    application_form,
    document,
    eventually,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

# ASCII on purpose: the leak check searches raw bytes, where JSON may escape accents.
REFUSAL_REASONS = "Salary below the applicable threshold (ground 7b-XK42)."


async def file(stack: Stack, **form: Any) -> str:
    response = await stack.intake.post(
        "/applications", json=application_form(**form), headers=stack.tokens.employer()
    )
    assert response.status_code == 201, response.text
    return str(response.json()["application_id"])


async def in_region(stack: Stack, application_id: str, authority: Authority) -> dict[str, Any]:
    async def probe() -> Any:
        response = await stack.region.get(
            f"/dossiers/{application_id}", headers=stack.tokens.header(authority)
        )
        return response.json() if response.status_code == 200 else None

    return dict(await eventually(probe, f"{application_id} reaches {authority}"))


async def applicant_sees(stack: Stack, application_id: str, status: str) -> dict[str, Any]:
    async def probe() -> Any:
        view = (
            await stack.intake.get(
                f"/applications/{application_id}", headers=stack.tokens.employer()
            )
        ).json()
        return view if view.get("status") == status else None

    return dict(await eventually(probe, f"the applicant sees {status}"))


async def post(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], **body: Any
) -> httpx.Response:
    return await client.post(url, json=body, headers=headers)


def validity(days: int = 365) -> dict[str, str]:
    start = date.today() + timedelta(days=30)
    return {"valid_from": start.isoformat(), "valid_until": (start + timedelta(days)).isoformat()}


async def test_a_single_permit_is_granted_once_region_and_office_both_authorise(
    stack: Stack,
) -> None:
    vlg = stack.tokens.header(Authority.VLG)
    application_id = await file(stack, postcode="2000")  # Antwerp: Flanders decides
    dossier = await in_region(stack, application_id, Authority.VLG)
    assert dossier["status"] == "awaiting_admissibility"

    url = f"/dossiers/{application_id}"
    ok = await post(stack.region, url + "/admissibility", vlg, admissible=True)
    assert ok.status_code == 200, ok.text
    authorised = await post(
        stack.region, url + "/work-decision", vlg, authorised=True, **validity()
    )
    assert authorised.json()["status"] == "work_authorised"

    oe = stack.tokens.header(Authority.OE)

    async def in_office_queue() -> Any:
        queue = (await stack.office.get("/queue", headers=oe)).json()
        return [e for e in queue if str(e["application_id"]) == application_id]

    (entry,) = await eventually(in_office_queue, "the Office's queue shows the dossier")
    due = date.today() + timedelta(days=90)  # admissible today: 90 days (Directive 2024/1233)
    assert entry["decision_due_on"] == due.isoformat() and entry["overdue"] is False
    granted = await post(
        stack.office, url + "/residence-decision", oe, authorised=True, **validity()
    )
    assert granted.status_code == 200 and granted.json()["status"] == "granted"

    view = await applicant_sees(stack, application_id, "single_permit_granted")
    steps = [entry["step"] for entry in view["timeline"]]
    assert steps == [
        "filed",
        "admissible",
        "work_authorised",
        "residence_authorised",
        "single_permit_granted",
    ]
    assert all(entry["days"] >= 0 for entry in view["timeline"])
    assert view["decision_due_on"] is not None and view["clock_running"] is False


async def test_an_inadmissible_application_tells_its_reasons_to_the_worker_only(
    stack: Stack,
) -> None:
    wal = stack.tokens.header(Authority.WAL)
    application_id = await file(stack, postcode="5000", worker_email="w1@example.org")
    await in_region(stack, application_id, Authority.WAL)
    refused = await post(
        stack.region,
        f"/dossiers/{application_id}/admissibility",
        wal,
        admissible=False,
        reasons=REFUSAL_REASONS,
    )
    assert refused.status_code == 200 and refused.json()["status"] == "refused"
    view = await applicant_sees(stack, application_id, "refused")
    assert REFUSAL_REASONS not in str(view)

    async def worker_mail() -> Any:
        return stack.mailbox.to("w1@example.org")

    mails = await eventually(worker_mail, "the worker's e-mail arrives")
    assert REFUSAL_REASONS in mails[0].get_payload(decode=True).decode()
    worker_box = (await stack.intake.get("/ebox", headers=stack.tokens.worker())).json()
    assert any(REFUSAL_REASONS in m["body"] for m in worker_box)

    async def employer_box() -> Any:
        return (await stack.intake.get("/ebox", headers=stack.tokens.employer())).json()

    told = await eventually(employer_box, "the employer is told of the decision")
    assert not any(REFUSAL_REASONS in m["body"] for m in told)


async def test_requested_documents_suspend_the_clock_until_supplied(stack: Stack) -> None:
    bxl = stack.tokens.header(Authority.BXL)
    application_id = await file(stack, postcode="1050")
    await in_region(stack, application_id, Authority.BXL)
    url = f"/dossiers/{application_id}"
    assert (await post(stack.region, url + "/admissibility", bxl, admissible=True)).is_success
    due = (date.today() + timedelta(days=30)).isoformat()
    asked = await post(
        stack.region,
        url + "/document-requests",
        bxl,
        document_kinds=["employment_contract"],
        due_on=due,
        explanation="Please send the signed employment contract.",
    )
    assert asked.json()["status"] == "awaiting_documents"
    view = await applicant_sees(stack, application_id, "documents_requested")
    assert view["requested_documents"] == ["employment_contract"]
    assert view["clock_running"] is False

    supplied = await stack.intake.post(
        f"/applications/{application_id}/supplementary-documents",
        json={"request_id": view["open_request"], "documents": [document("employment_contract")]},
        headers=stack.tokens.employer(),
    )
    assert supplied.status_code == 201, supplied.text

    async def back_under_examination() -> Any:
        dossier = await in_region(stack, application_id, Authority.BXL)
        return dossier if dossier["status"] == "under_examination" else None

    await eventually(back_under_examination, "the region sees the documents")
    view = await applicant_sees(stack, application_id, "under_examination")
    assert view["clock_running"] is True


async def test_a_refused_work_authorisation_never_reaches_the_office(stack: Stack) -> None:
    dg = stack.tokens.header(Authority.DG)
    application_id = await file(stack, postcode="4700")  # Eupen
    await in_region(stack, application_id, Authority.DG)
    url = f"/dossiers/{application_id}"
    await post(stack.region, url + "/admissibility", dg, admissible=True)
    refused = await post(
        stack.region, url + "/work-decision", dg, authorised=False, reasons=REFUSAL_REASONS
    )
    assert refused.json()["status"] == "refused"
    await applicant_sees(stack, application_id, "refused")
    oe = stack.tokens.header(Authority.OE)

    async def answered() -> Any:
        # 404 until the office's consumer has read the filing; then it must refuse
        decision = await post(
            stack.office, url + "/residence-decision", oe, authorised=True, **validity()
        )
        return decision if decision.status_code != 404 else None

    decision = await eventually(answered, "the office knows the dossier")
    assert decision.status_code == 409, decision.text


async def test_the_office_may_refuse_residence_after_work_is_authorised(stack: Stack) -> None:
    vlg, oe = stack.tokens.header(Authority.VLG), stack.tokens.header(Authority.OE)
    application_id = await file(stack, postcode="9000")
    await in_region(stack, application_id, Authority.VLG)
    url = f"/dossiers/{application_id}"
    early = await post(
        stack.office, url + "/residence-decision", oe, authorised=False, reasons=REFUSAL_REASONS
    )
    assert early.status_code in (404, 409)  # residence waits for the work decision
    await post(stack.region, url + "/admissibility", vlg, admissible=True)
    await post(stack.region, url + "/work-decision", vlg, authorised=True, **validity())

    async def refused() -> Any:
        response = await post(
            stack.office, url + "/residence-decision", oe, authorised=False, reasons=REFUSAL_REASONS
        )
        return response if response.status_code == 200 else None

    await eventually(refused, "the Office can refuse residence")
    await applicant_sees(stack, application_id, "refused")


async def test_a_granted_single_permit_can_be_withdrawn(stack: Stack) -> None:
    wal, oe = stack.tokens.header(Authority.WAL), stack.tokens.header(Authority.OE)
    application_id = await file(stack, postcode="4000")
    await in_region(stack, application_id, Authority.WAL)
    url = f"/dossiers/{application_id}"
    await post(stack.region, url + "/admissibility", wal, admissible=True)
    await post(stack.region, url + "/work-decision", wal, authorised=True, **validity())

    async def granted() -> Any:
        response = await post(
            stack.office, url + "/residence-decision", oe, authorised=True, **validity()
        )
        return response if response.status_code == 200 else None

    await eventually(granted, "the Office grants the single permit")
    withdrawn = await post(stack.office, url + "/withdrawal", oe, reasons=REFUSAL_REASONS)
    assert withdrawn.json()["status"] == "withdrawn"
    await applicant_sees(stack, application_id, "withdrawn")
    again = await post(stack.office, url + "/withdrawal", oe, reasons=REFUSAL_REASONS)
    assert again.status_code == 409  # nothing to decide on a withdrawn dossier


async def test_a_work_authorisation_alone_is_decided_by_the_region_only(stack: Stack) -> None:
    vlg = stack.tokens.header(Authority.VLG)
    start = date.today() + timedelta(days=20)
    application_id = await file(
        stack,
        kind="work_authorisation",
        category="general",
        postcode="3000",
        fee_payment_reference=None,
        employment={
            **application_form()["employment"],
            "workplace_postcode": "3000",
            "start": start.isoformat(),
            "end": (start + timedelta(60)).isoformat(),
        },
    )
    await in_region(stack, application_id, Authority.VLG)
    url = f"/dossiers/{application_id}"
    await post(stack.region, url + "/admissibility", vlg, admissible=True)
    await post(stack.region, url + "/work-decision", vlg, authorised=True, **validity(60))
    await applicant_sees(stack, application_id, "work_authorised")
    oe = stack.tokens.header(Authority.OE)
    assert (await stack.office.get(url, headers=oe)).status_code == 404


async def test_a_professional_card_is_refused_while_its_procedure_is_closed(stack: Stack) -> None:
    response = await stack.intake.post(
        "/applications",
        json=application_form(kind="professional_card", category="self_employed"),
        headers=stack.tokens.employer(),
    )
    assert response.status_code == 422
    assert "Art. 34" in response.text


async def test_only_the_competent_region_decides(stack: Stack) -> None:
    application_id = await file(stack, postcode="1000")  # Brussels
    await in_region(stack, application_id, Authority.BXL)
    url = f"/dossiers/{application_id}/admissibility"
    other = await post(stack.region, url, stack.tokens.header(Authority.VLG), admissible=True)
    assert other.status_code == 403 and "BXL" in other.text
    office = await post(stack.region, url, stack.tokens.header(Authority.OE), admissible=True)
    assert office.status_code == 403
    stale = await post(
        stack.region, url, stack.tokens.header(Authority.BXL), admissible=True, expected_version=99
    )
    assert stale.status_code == 409 and "version" in stale.text


async def test_bad_input_is_refused_with_a_reason_and_stores_nothing(stack: Stack) -> None:
    runtime = stack.apps[0].state.runtime
    before = len(await runtime.store.read_all(limit=100_000))
    employer = stack.tokens.employer()
    cases = {
        "worker": {"worker": {**application_form()["worker"], "niss": "85073003329"}},
        "enterprise": {
            "employer": {**application_form()["employer"], "enterprise_number": "0403.019.262"}
        },
        "postcode": {
            "employment": {**application_form()["employment"], "workplace_postcode": "0999"}
        },
        "hosting_agreement": {"category": "researcher"},
        "labelled": {"documents": [document("passport", PDF, "image/png"), document("diploma")]},
        "limit": {
            "documents": [document("passport", PDF + b"0" * 10 * 1024 * 1024), document("diploma")]
        },
        "checksum": {
            "documents": [{**document("passport"), "sha256": "0" * 64}, document("diploma")]
        },
    }
    for expected, overrides in cases.items():
        response = await stack.intake.post(
            "/applications", json=application_form(**overrides), headers=employer
        )
        assert response.status_code == 422, (expected, response.text)
        assert expected.split("_")[0] in response.text.lower(), (expected, response.text)
    assert (await stack.intake.post("/applications", json=application_form())).status_code == 401
    region_token = stack.tokens.header(Authority.VLG)
    wrong = await stack.intake.post("/applications", json=application_form(), headers=region_token)
    assert wrong.status_code == 403
    assert len(await runtime.store.read_all(limit=100_000)) == before


async def test_reasons_and_personal_data_go_nowhere_they_should_not(stack: Stack) -> None:
    """Art. 24 and Art. 11, checked over everything the platform holds after the
    refusals above: every message on every topic and every row of every table."""
    wal = stack.tokens.header(Authority.WAL)
    application_id = await file(stack, postcode="6000", worker_email="w9@example.org")
    await in_region(stack, application_id, Authority.WAL)
    await post(
        stack.region,
        f"/dossiers/{application_id}/admissibility",
        wal,
        admissible=False,
        reasons=REFUSAL_REASONS,
    )
    await applicant_sees(stack, application_id, "refused")
    for app in stack.apps:
        await app.state.runtime.relay.drain()

    messages = await every_message(stack)
    assert len(messages) >= 10
    personal = [
        WORKER_NISS,
        "Diallo",
        "Amina",
        "A12345678",
        "1985-07-30",
        "Dakar",
        "amina.diallo@example.org",
        "w9@example.org",
        "Rue Neuve",
    ]
    for message in messages:
        assert REFUSAL_REASONS.encode() not in message, "a reason travelled on a topic"
        for value in personal:
            assert value.encode() not in message, f"{value} travelled in clear on a topic"

    rows = await every_row(stack)
    # Sealed with the dossier's key wherever they wait, outboxes and e-box included.
    holding_reason = {place for place, text in rows if REFUSAL_REASONS in text}
    assert holding_reason == set(), holding_reason
    for place, text in rows:
        if place.endswith(".events") or place.endswith(".outbox"):
            for value in personal:
                assert value not in text, f"{value} stored in clear in {place}"
    for mail in stack.mailbox.messages:
        if REFUSAL_REASONS in mail.get_payload(decode=True).decode():
            assert mail["To"] in {"w1@example.org", "w9@example.org", "amina.diallo@example.org"}
