"""Why retention refuses, as the status a caller reads (STYLE 14): each domain refusal is
mapped once, in ``SPEC.problems``, and answered as an RFC 9457 problem with the domain's
own reason; no route catches it itself."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from guichet_core.http.problem_docs import PROBLEM_JSON
from guichet_core.http.problems import install_problems
from guichet_retention import domain, rights, rights_handlers
from guichet_retention.bootstrap import SPEC

REFUSALS = [
    (domain.UnknownDossier("retention knows no such dossier"), 404),
    (domain.NotPermitted("recorded by the authority that decided it"), 403),  # Art. 27 §1 3°
    (domain.AppealConflict("this appeal already ended"), 409),
    (domain.DeletionHeld("an appeal is pending on this dossier"), 409),  # GDPR Art. 17 §3 e
    (domain.DossierErased("this dossier was erased"), 410),  # Art. 27 §2
    (domain.ImplausibleDate("lodged_on is in the future"), 422),
    (rights.RightsError("details must not be empty"), 422),
    (rights_handlers.NotThePerson("only the person the dossier is about"), 403),  # Art. 29
    (rights_handlers.AnswerRefused("request already answered"), 409),
]


@pytest.mark.parametrize(("error", "status"), REFUSALS, ids=lambda v: type(v).__name__)
async def test_each_refusal_is_its_status_with_the_domains_reason(
    error: Exception, status: int
) -> None:
    app = FastAPI()
    install_problems(app, SPEC.problems)

    @app.get("/refused")
    async def refused() -> None:
        raise error

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        answer = await client.get("/refused")
    assert answer.status_code == status
    assert answer.headers["content-type"] == PROBLEM_JSON
    assert answer.json()["detail"] == str(error)
