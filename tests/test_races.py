"""Two authorities (or two officers of one) deciding the same dossier at the same moment,
on the embedded default and on PostgreSQL + Kafka.

A dossier is one stream (Art. 11: one dossier shared by every authority); a decision is
taken on the version the officer read. When two decisions race, exactly one is recorded
and the other is refused with 409, the dossier untouched by it: never a 500, never both.
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from guichet_contracts.vocabulary import Authority
from guichet_intake.tables import documents

from .stacks import Stack, documents_requested, filed_in_flanders
from .support import document, eventually

pytestmark = pytest.mark.asyncio(loop_scope="module")


def validity() -> dict[str, str]:
    start = date.today() + timedelta(days=30)
    return {"valid_from": start.isoformat(), "valid_until": (start + timedelta(365)).isoformat()}


async def race(
    client: httpx.AsyncClient, url: str, bodies: list[dict[str, Any]], token: dict[str, str]
) -> list[httpx.Response]:
    """Both officers post at once; the two requests interleave in one event loop."""
    responses = await asyncio.gather(*(client.post(url, json=b, headers=token) for b in bodies))
    return sorted(responses, key=lambda r: r.status_code)


def one_recorded_one_refused(responses: list[httpx.Response]) -> int:
    """The winner's response; returns the version it left the dossier at."""
    won, lost = responses
    assert [won.status_code, lost.status_code] == [200, 409], [r.text for r in responses]
    assert lost.headers["content-type"].startswith("application/problem+json"), lost.text
    problem = lost.json()
    assert problem["status"] == 409 and problem["title"]
    # Why, and what the officer does next: the race lost on the stream says to reload;
    # a loser that read the winner's decision (SQLite lets one writer in at a time) is
    # told what the dossier now is.
    assert "reload" in problem["detail"] or "the dossier is" in problem["detail"], problem
    return int(won.json()["version"])


async def version_of(stack: Stack, dossier: str) -> int:
    vlg = stack.tokens.header(Authority.VLG)
    return int((await stack.region.get(f"/dossiers/{dossier}", headers=vlg)).json()["version"])


async def test_two_admissibility_decisions_at_once_record_one_and_refuse_the_other(
    stack: Stack,
) -> None:
    # Art. 12 §1: the competent region declares the application admissible or not, once.
    dossier = await filed_in_flanders(stack)
    before = await version_of(stack, dossier)
    responses = await race(
        stack.region,
        f"/dossiers/{dossier}/admissibility",
        [{"admissible": True}, {"admissible": False, "reasons": "the diploma is missing"}],
        stack.tokens.header(Authority.VLG),
    )
    # the loser appended nothing: the dossier is where the winner left it
    assert await version_of(stack, dossier) == one_recorded_one_refused(responses) > before


@pytest.mark.parametrize("expected_version", [False, True])
async def test_two_work_decisions_at_once_record_one_and_refuse_the_other(
    stack: Stack, expected_version: bool
) -> None:
    vlg = stack.tokens.header(Authority.VLG)
    dossier = await filed_in_flanders(stack)
    admitted = await stack.region.post(
        f"/dossiers/{dossier}/admissibility", json={"admissible": True}, headers=vlg
    )
    assert admitted.status_code == 200, admitted.text
    version = {"expected_version": admitted.json()["version"]} if expected_version else {}
    responses = await race(
        stack.region,
        f"/dossiers/{dossier}/work-decision",
        [
            {"authorised": True, **validity(), **version},
            {"authorised": False, "reasons": "the wage is below the threshold", **version},
        ],
        vlg,
    )
    left_at = one_recorded_one_refused(responses)
    assert await version_of(stack, dossier) == left_at > admitted.json()["version"]


async def test_two_residence_decisions_at_once_record_one_and_refuse_the_other(
    stack: Stack,
) -> None:
    vlg, oe = stack.tokens.header(Authority.VLG), stack.tokens.header(Authority.OE)
    dossier = await filed_in_flanders(stack)
    for step, body in [
        ("admissibility", {"admissible": True}),
        ("work-decision", {"authorised": True, **validity()}),
    ]:
        decided = await stack.region.post(f"/dossiers/{dossier}/{step}", json=body, headers=vlg)
        assert decided.status_code == 200, decided.text

    async def work_authorised_at_the_office() -> Any:
        response = await stack.office.get(f"/dossiers/{dossier}", headers=oe)
        return (
            response.status_code == 200
            and response.json()["status"] == "awaiting_residence_decision"
        )

    await eventually(work_authorised_at_the_office, "the Office learns the work is authorised")
    responses = await race(
        stack.office,
        f"/dossiers/{dossier}/residence-decision",
        [
            {"authorised": True, **validity()},
            {"authorised": False, "reasons": "a threat to public order"},
        ],
        oe,
    )
    left_at = one_recorded_one_refused(responses)
    office = (await stack.office.get(f"/dossiers/{dossier}", headers=oe)).json()
    assert office["version"] == left_at


async def test_two_supplies_for_one_document_request_at_once_record_one(stack: Stack) -> None:
    # Art. 20 §4: the applicant answers a request for documents once; a second upload
    # racing the first (a double click, two tabs) is refused and stores nothing.
    dossier = await filed_in_flanders(stack)
    request_id = await documents_requested(stack, dossier)
    employer = stack.tokens.employer()
    body = {"request_id": request_id, "documents": [document("employment_contract")]}
    won, lost = await race(
        stack.intake, f"/applications/{dossier}/supplementary-documents", [body, body], employer
    )
    assert won.status_code == 201 and lost.status_code in (409, 422), [won.text, lost.text]
    intake = stack.apps[0].state.runtime
    supplied = [e for e in await intake.store.read_stream(dossier) if "supplied" in e.event_type]
    assert len(supplied) == 1
    async with intake.engine.connect() as connection:
        stored = await connection.execute(
            select(documents.c.kind).where(documents.c.dossier_id == dossier)
        )
        assert sorted(row.kind for row in stored).count("employment_contract") == 1
