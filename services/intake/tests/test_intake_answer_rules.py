"""How intake answers its refusals (STYLE 14, ``ServiceSpec.problems``): RFC 9457
problems that name the field or the document and what to do, never the value sent
(GDPR Art. 5 §1 f). No server: a bare app with intake's mapping installed."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from guichet_contracts.vocabulary import DocumentKind
from guichet_core.http.problem_docs import PROBLEM_JSON
from guichet_core.http.problems import install_problems
from guichet_intake.documents import DocumentRejected
from guichet_intake.domain import FilingRejected, NotYourApplication
from guichet_intake.problems import PROBLEMS


async def answer(error: Exception) -> tuple[int, str, dict[str, Any]]:
    """When a route raises ``error``: the status, media type and body intake answers."""
    app = FastAPI()
    install_problems(app, PROBLEMS)

    @app.get("/refused")
    async def refused() -> None:
        raise error

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
        response = await client.get("/refused")
    return response.status_code, response.headers["content-type"], response.json()


async def test_a_broken_filing_rule_names_the_field_and_the_reason_art_20() -> None:
    status, media_type, body = await answer(
        FilingRejected("employment.workplace_postcode", "'0999' is not a Belgian postcode")
    )
    assert (status, media_type) == (422, PROBLEM_JSON)
    assert body["errors"] == [
        {
            "loc": ["body", "employment", "workplace_postcode"],
            "msg": "'0999' is not a Belgian postcode",
            "type": "",
        }
    ]
    assert body["detail"] == "the request was not accepted: 1 field to correct (see errors)"


async def test_a_refused_document_is_named_by_its_place_and_kind_never_its_name_art_19() -> None:
    empty = DocumentRejected(1, DocumentKind.DIPLOMA, "the document is empty")
    status, _, body = await answer(empty)
    assert status == 422
    assert body["detail"] == "document 2 (diploma): the document is empty"
    assert body["errors"] == [
        {"loc": ["body", "documents", 1], "msg": "the document is empty", "type": "document"}
    ]


async def test_a_dossier_the_caller_does_not_follow_is_not_found_whether_it_exists_or_not() -> None:
    status, _, body = await answer(NotYourApplication())
    assert (status, body["detail"]) == (404, "no application of yours with this id")
    assert "errors" not in body
