"""Documents over HTTP, on the embedded default and on PostgreSQL + Kafka: what intake
refuses when an applicant files (Art. 20 §2) or supplies what a region asked for
(Art. 20 §4), how it says so (RFC 9457 problem details naming the document and what to
do), and that a refused upload leaves nothing behind.

What the outside probe of issue 12 sent is the first case: ``%PDF-`` followed by HTML.
"""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject
from sqlalchemy import func, select

from guichet_contracts.vocabulary import Authority
from guichet_core.testing.samples import PDF, PNG
from guichet_intake.tables import documents

from .stacks import Stack
from .support import application_form, document, eventually

pytestmark = pytest.mark.asyncio(loop_scope="module")

HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"


def with_javascript(pdf: bytes) -> bytes:
    """``pdf`` with a script that runs when it is opened, as pypdf writes one."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    script = {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("")}
    writer.root_object[NameObject("/OpenAction")] = DictionaryObject(script)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def named(kind: str, content: bytes, media_type: str = "application/pdf") -> dict[str, Any]:
    """A document whose file name is personal, as real ones are."""
    return {**document(kind, content, media_type), "filename": f"Amina Diallo {kind}.pdf"}


async def stored(stack: Stack) -> tuple[int, int]:
    """Intake's events and document rows."""
    runtime = stack.apps[0].state.runtime
    async with runtime.engine.connect() as connection:
        rows = (await connection.execute(select(func.count()).select_from(documents))).scalar()
    return len(await runtime.store.read_all(limit=100_000)), int(rows or 0)


def assert_refused(response: Any, document_number: int, kind: str, reason: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == 422 and problem["title"]
    assert problem["detail"].startswith(f"document {document_number} ({kind}): ")
    assert reason in problem["detail"]
    assert ["body", "documents", document_number - 1] in [e["loc"] for e in problem["errors"]]
    # Never echoed (GDPR Art. 5 §1 f): not the file name, not a byte of the content.
    for echo in ("Amina", "Diallo", "script", "alert", "JVBER", "iVBOR"):
        assert echo not in response.text, echo


async def test_a_filing_with_a_polyglot_or_active_document_is_refused_and_stores_nothing(
    stack: Stack,
) -> None:
    employer = stack.tokens.employer()
    before = await stored(stack)
    cases = [
        (b"%PDF-1.7\n" + HTML, "application/pdf", "cannot be read"),
        (PDF + HTML, "application/pdf", "extra data after its end"),
        (with_javascript(PDF), "application/pdf", "contains JavaScript: remove it"),
        (PNG + HTML, "image/png", "extra data after its end"),
    ]
    for content, media_type, reason in cases:
        form = application_form(
            documents=[named("passport", PDF), named("diploma", content, media_type)]
        )
        response = await stack.intake.post("/applications", json=form, headers=employer)
        assert_refused(response, 2, "diploma", reason)
    assert await stored(stack) == before


async def test_real_pdfs_and_images_are_accepted(stack: Stack) -> None:
    form = application_form(
        documents=[named("passport", PDF), named("diploma", PDF), named("photo", PNG, "image/png")]
    )
    response = await stack.intake.post("/applications", json=form, headers=stack.tokens.employer())
    assert response.status_code == 201, response.text
    assert response.json()["documents"] == 3


async def test_supplied_documents_are_checked_like_filed_ones(stack: Stack) -> None:
    """Art. 20 §4: a refused supply leaves the region's request open; a real one closes it."""
    employer, bxl = stack.tokens.employer(), stack.tokens.header(Authority.BXL)
    filed = await stack.intake.post(
        "/applications", json=application_form(postcode="1050"), headers=employer
    )
    application_id = filed.json()["application_id"]
    url = f"/dossiers/{application_id}"

    async def in_region() -> bool:
        return (await stack.region.get(url, headers=bxl)).status_code == 200

    await eventually(in_region, "the region has the dossier")
    assert (
        await stack.region.post(url + "/admissibility", headers=bxl, json={"admissible": True})
    ).is_success
    asked = await stack.region.post(
        url + "/document-requests",
        headers=bxl,
        json={
            "document_kinds": ["employment_contract"],
            "due_on": (date.today() + timedelta(days=30)).isoformat(),
            "explanation": "Please send the signed employment contract.",
        },
    )
    assert asked.is_success, asked.text

    async def open_request() -> Any:
        view = (await stack.intake.get(f"/applications/{application_id}", headers=employer)).json()
        return view.get("open_request")

    request_id = await eventually(open_request, "the applicant sees the request")

    async def supply(uploads: list[dict[str, Any]]) -> Any:
        route = f"/applications/{application_id}/supplementary-documents"
        body = {"request_id": request_id, "documents": uploads}
        return await stack.intake.post(route, json=body, headers=employer)

    before = await stored(stack)
    refused = await supply([named("employment_contract", with_javascript(PDF))])
    assert_refused(refused, 1, "employment_contract", "contains JavaScript: remove it")
    assert await stored(stack) == before
    assert await open_request() == request_id

    supplied = await supply([named("employment_contract", PDF)])
    assert supplied.status_code == 201, supplied.text
