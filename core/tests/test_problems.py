"""Errors, once (STYLE 14): every service answers errors as RFC 9457
``application/problem+json`` from one mapping, and never echoes what the caller sent
(issue 12, defect 3: a 100 MB invalid body came back in a 100 MB 422; GDPR Art. 5 §1 f:
an error body is no place for the personal data or reasons a request carried).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from guichet_core.http.problems import (
    PROBLEM_JSON,
    PROBLEMS,
    ProblemDetails,
    install_problems,
    validation_errors,
)
from guichet_core.kernel.store.records import ConcurrencyConflict


class Form(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=10)
    hours: float = Field(gt=0, le=60)


def problem_app() -> FastAPI:
    app = FastAPI()
    install_problems(app)

    @app.post("/forms")
    async def form(body: Form) -> dict[str, str]:
        return {"name": body.name}

    @app.get("/missing")
    async def missing() -> None:
        raise HTTPException(404, "no application of yours with this id")

    @app.post("/decisions")
    async def decision() -> None:
        raise ConcurrencyConflict("dossier-1", 3, 4)

    @app.post("/imports")
    async def imports() -> None:
        raise ProblemDetails(400, "line 7 is longer than 65536 characters", committed_batches=2)

    own = {422: {"description": "A document was refused", "content": {PROBLEM_JSON: {}}}}

    @app.post("/documents", responses=own)
    async def documents(body: Form) -> None:
        return None

    @app.get("/broken")
    async def broken() -> None:
        raise RuntimeError("Zebulon Quartermaine's reasons")

    @app.get("/database-away")
    async def database_away() -> None:
        raise ConnectionResetError("connection to Zebulon's row lost")

    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=problem_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://problems") as http:
        yield http


def problem_of(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["title"] and body["type"] == "about:blank"
    return body


async def test_a_validation_error_lists_where_and_why_but_never_the_input(
    client: httpx.AsyncClient,
) -> None:
    secret = "Zebulon Quartermaine, refused because " + "x" * 100_000
    response = await client.post("/forms", json={"name": secret, "hours": 99, "extra": 1})
    problem = problem_of(response, 422)
    assert "3 fields" in problem["detail"]
    assert {tuple(error["loc"]) for error in problem["errors"]} == {
        ("body", "name"),
        ("body", "hours"),
        ("body", "extra"),
    }
    for error in problem["errors"]:
        assert set(error) == {"loc", "msg", "type"}
    assert "Zebulon" not in response.text and "99" not in response.text
    assert len(response.content) < 1_000


async def test_a_validation_error_on_input_json_cannot_encode_is_still_422(
    client: httpx.AsyncClient,
) -> None:
    # The lone surrogate is refused as a type error; the default handler crashed (500)
    # encoding the echoed input (issue 12, defect 4).
    body = '{"name": ["\\ud800"], "hours": 1}'
    response = await client.post(
        "/forms", content=body, headers={"content-type": "application/json"}
    )
    problem_of(response, 422)


async def test_an_http_exception_is_a_problem_with_its_reason(client: httpx.AsyncClient) -> None:
    problem = problem_of(await client.get("/missing"), 404)
    assert problem["detail"] == "no application of yours with this id"
    assert problem["title"] == "Not Found"


async def test_domain_exceptions_map_to_statuses_in_one_table(client: httpx.AsyncClient) -> None:
    assert PROBLEMS[ConcurrencyConflict].status == 409
    problem = problem_of(await client.post("/decisions"), 409)
    assert "dossier-1" not in problem["detail"]  # a reason a person can act on
    assert "decide again" in problem["detail"]


async def test_a_problem_carries_its_extension_members(client: httpx.AsyncClient) -> None:
    problem = problem_of(await client.post("/imports"), 400)
    assert problem["committed_batches"] == 2


def test_validation_errors_keep_a_short_loc_and_drop_input_and_ctx() -> None:
    raw = [
        {
            "loc": ("body", "k" * 1_000),
            "msg": "Extra inputs are not permitted",
            "type": "extra_forbidden",
            "input": "secret",
            "ctx": {"error": "secret"},
        }
    ]
    [error] = validation_errors(raw)
    assert set(error) == {"loc", "msg", "type"}
    assert len(error["loc"][1]) <= 64


def test_the_openapi_documents_413_and_422_as_problems() -> None:
    schema = problem_app().openapi()
    operation = schema["paths"]["/forms"]["post"]
    for status in ("413", "422"):
        assert PROBLEM_JSON in operation["responses"][status]["content"]
    assert "413" not in schema["paths"]["/missing"]["get"]["responses"]
    declared = schema["paths"]["/documents"]["post"]["responses"]["422"]
    assert declared["description"] == "A document was refused"  # a route's own words stay
    assert declared["content"][PROBLEM_JSON]["schema"]["required"]


async def test_an_unexpected_error_is_a_500_problem_that_says_nothing_of_it() -> None:
    transport = httpx.ASGITransport(app=problem_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://problems") as http:
        response = await http.get("/broken")
    problem = problem_of(response, 500)
    assert "Zebulon" not in response.text and "retry" in problem["detail"]


async def test_the_database_away_is_a_503_to_retry_with_the_same_key() -> None:
    # A connection killed mid-request (pg_terminate_backend, a restart): the request was
    # fine, so the client is told to retry, not that it broke something.
    transport = httpx.ASGITransport(app=problem_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://problems") as http:
        response = await http.get("/database-away")
    problem = problem_of(response, 503)
    assert response.headers["retry-after"] == "1"
    assert "Zebulon" not in response.text and "Idempotency-Key" in problem["detail"]
