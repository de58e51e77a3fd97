"""Bad input is refused, never a 500 (issue 12, defects 3 and 4), on the embedded default
and on PostgreSQL + Kafka: what PostgreSQL cannot store (a NUL character), what has no
UTF-8 form (a lone surrogate), what is no number (NaN), JSON nested past 32 levels and a
body over its route's limit are refused with 422 or 413 as ``application/problem+json``,
which never echoes the input, and nothing of the refused request is recorded.

GDPR Art. 32 §1 b (resilience of processing systems) and Art. 5 §1 f (an error body is
no place for the personal data or the reasons a request carried).
"""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from guichet_contracts.vocabulary import Authority
from guichet_core.http.problem_docs import PROBLEM_JSON
from guichet_intake.api import FILING_BODY_LIMIT
from guichet_retention.settings import RetentionSettings

from .stacks import Stack, filed_in_flanders
from .support import application_form

pytestmark = pytest.mark.asyncio(loop_scope="module")

NUL = "\u0000"
REASON = "Ms Quartermaine's file lacks the diploma"


@pytest.fixture(scope="module")
def stack_retention() -> RetentionSettings:
    return RetentionSettings(purge_interval_seconds=3600)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def dossier(stack: Stack) -> str:
    """A filing in Antwerp, received by the Flemish region (Art. 9)."""
    return await filed_in_flanders(stack)


def refused(response: httpx.Response, status: int, *echo: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status and problem["detail"]
    for value in (REASON, *echo):
        assert value not in response.text
    return problem


async def region_view(stack: Stack, dossier_id: str) -> dict[str, Any]:
    vlg = stack.tokens.header(Authority.VLG)
    view: dict[str, Any] = (await stack.region.get(f"/dossiers/{dossier_id}", headers=vlg)).json()
    return view


@pytest.mark.parametrize(
    ("path", "body"),
    [
        # Art. 12 §1 and Art. 24: a negative decision states its reasons
        ("admissibility", {"admissible": False, "reasons": REASON + NUL}),
        ("work-decision", {"authorised": False, "reasons": REASON + NUL}),
        # Art. 20 §4: the request for documents explains what is missing
        (
            "document-requests",
            {"document_kinds": ["diploma"], "due_on": "2030-01-01", "explanation": REASON + NUL},
        ),
        ("withdrawal", {"reasons": REASON + NUL}),
    ],
)
async def test_a_nul_in_a_decision_is_refused_422_and_nothing_is_recorded(
    stack: Stack, dossier: str, path: str, body: dict[str, Any]
) -> None:
    before = await region_view(stack, dossier)
    vlg = stack.tokens.header(Authority.VLG)
    response = await stack.region.post(f"/dossiers/{dossier}/{path}", json=body, headers=vlg)
    problem = refused(response, 422)
    assert problem["errors"][0]["type"] == "string_nul"
    assert await region_view(stack, dossier) == before


async def test_a_nul_in_a_residence_refusal_is_refused_422(stack: Stack, dossier: str) -> None:
    oe = stack.tokens.header(Authority.OE)
    body = {"authorised": False, "reasons": REASON + NUL}
    url = f"/dossiers/{dossier}/residence-decision"
    refused(await stack.office.post(url, json=body, headers=oe), 422)


async def test_a_nul_in_a_rights_request_is_refused_422(stack: Stack, dossier: str) -> None:
    # Art. 28-29: the data subject's request is acknowledged at once, or refused at once
    assert stack.retention is not None
    body = {"dossier_id": dossier, "kind": "access", "concern": "work", "details": REASON + NUL}
    response = await stack.retention.post(
        "/rights-requests", json=body, headers=stack.tokens.worker()
    )
    refused(response, 422)


async def test_a_nul_in_an_appeal_id_is_refused_422(stack: Stack, dossier: str) -> None:
    # Art. 27 §1 3°: an appeal holds the deletion; its id must be one we can store
    assert stack.retention is not None
    vlg = stack.tokens.header(Authority.VLG)
    lodged = {"appeal_id": "RvV-2026" + NUL, "step": "admissibility", "lodged_on": "2026-11-02"}
    url = f"/dossiers/{dossier}/appeals"
    refused(await stack.retention.post(url, json=lodged, headers=vlg), 422)
    url = f"/dossiers/{dossier}/appeals/RvV-2026%00/decision"
    ended = {"decided_on": "2026-11-30"}
    refused(await stack.retention.post(url, json=ended, headers=vlg), 422)


@pytest.mark.parametrize(
    "change",
    [
        {"worker": {"last_name": "\ud800"}},  # a lone surrogate: no UTF-8 form
        {"employment": {"weekly_hours": math.nan}},
        {"employment": {"gross_monthly_wage_eur": math.inf}},
        {"worker": {"first_names": "Zeb" + NUL}},
    ],
)
async def test_a_filing_no_store_can_keep_is_refused_422(
    stack: Stack, change: dict[str, dict[str, Any]]
) -> None:
    form = application_form(postcode="2000")
    for part, values in change.items():
        form[part] = {**form[part], **values}
    # What an HTTP client may send: Python's json writes NaN and lone surrogates (\ud800)
    content = json.dumps(form)
    response = await stack.intake.post(
        "/applications",
        content=content,
        headers={**stack.tokens.employer(), "content-type": "application/json"},
    )
    refused(response, 422, "Zeb", "ud800")


async def test_a_filing_nested_past_32_levels_is_refused_422(stack: Stack) -> None:
    form = application_form(postcode="2000")
    nested: Any = "x"
    for _ in range(40):
        nested = [nested]
    form["details"] = {"volunteer_programme": nested}
    response = await stack.intake.post("/applications", json=form, headers=stack.tokens.employer())
    assert refused(response, 422)["errors"][0]["type"] == "json_too_deep"


async def test_a_filing_over_its_limit_is_refused_413_before_it_is_read(stack: Stack) -> None:
    # The filing's limit follows intake's document limits (Art. 20: the form and its
    # documents); a body that says it is larger is refused on its header.
    read = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal read
        for _ in range(1_000):
            read += 1
            yield b" " * 65_536

    headers = {
        **stack.tokens.employer(),
        "content-type": "application/json",
        "content-length": str(FILING_BODY_LIMIT + 1),
    }
    response = await stack.intake.post("/applications", content=body(), headers=headers)
    assert str(FILING_BODY_LIMIT) in refused(response, 413)["detail"]
    assert read <= 1


async def test_a_decision_over_one_mebibyte_is_refused_413(stack: Stack, dossier: str) -> None:
    before = await region_view(stack, dossier)
    vlg = stack.tokens.header(Authority.VLG)

    async def body() -> AsyncIterator[bytes]:  # chunked: no Content-Length to trust
        yield b'{"admissible": false, "reasons": "'
        for _ in range(40):
            yield b"x" * 65_536
        yield b'"}'

    url = f"/dossiers/{dossier}/admissibility"
    refused(await stack.region.post(url, content=body(), headers=vlg), 413)
    assert await region_view(stack, dossier) == before


async def test_an_invalid_body_is_not_echoed_in_its_422(stack: Stack) -> None:
    form = application_form(postcode="2000")
    form["worker"] = {**form["worker"], "last_name": REASON * 20_000}  # 800 kB, too long
    response = await stack.intake.post("/applications", json=form, headers=stack.tokens.employer())
    problem = refused(response, 422)
    assert ["body", "worker", "last_name"] in [error["loc"] for error in problem["errors"]]
    assert len(response.content) < 2_000


async def test_every_service_documents_its_413_and_422_as_problems(stack: Stack) -> None:
    assert stack.retention is not None
    for client in (stack.intake, stack.region, stack.office, stack.consultation, stack.retention):
        schema = (await client.get("/openapi.json")).json()
        for operations in schema["paths"].values():
            for operation in operations.values():
                responses = operation["responses"]
                if "requestBody" in operation:
                    assert PROBLEM_JSON in responses["413"]["content"]
                if "422" in responses:
                    assert PROBLEM_JSON in responses["422"]["content"]
