"""Every request passes the ``RequestGuard`` before a route reads it (issue 12, defects 3
and 4): a body over its route's limit is refused with 413 before it is read whole, and a
JSON body that no service can store (NUL characters, lone surrogates, NaN, nesting past
32 levels) is refused with 422, as ``application/problem+json`` that never echoes it.

GDPR Art. 32 §1 b asks for the resilience of processing systems: one oversized or
malformed request must not stall a service or leave half a decision behind.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Request
from pydantic import BaseModel

from guichet_core.http.http_limits import (
    DEFAULT_BODY_LIMIT,
    MAX_JSON_DEPTH,
    UnsafeInput,
    body_limit,
    install_request_guard,
    refuse_unsafe_json,
)
from guichet_core.http.problem_docs import PROBLEM_JSON
from guichet_core.http.problems import install_problems

KIB = 1024


class Note(BaseModel):
    text: str
    value: float = 0.0


class Limits:
    upload_max_bytes = 5 * KIB


def app_under_guard() -> FastAPI:
    app = FastAPI()
    install_problems(app)
    install_request_guard(app, settings=Limits())

    @app.post("/notes")
    async def note(body: Note) -> dict[str, int]:
        return {"length": len(body.text)}

    @app.post("/tiny", openapi_extra=body_limit(16))
    async def tiny(body: Note) -> dict[str, int]:
        return {"length": len(body.text)}

    @app.post("/uploads", openapi_extra=body_limit(setting="upload_max_bytes", streamed=True))
    async def upload(request: Request) -> dict[str, int]:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
        return {"size": size}

    @app.get("/things/{thing}")
    async def thing(thing: str) -> dict[str, int]:
        return {"length": len(thing)}

    router = APIRouter()  # a service's routes come in routers, which FastAPI keeps whole

    @router.post("/tiny", openapi_extra=body_limit(16))
    async def routed(body: Note) -> dict[str, int]:
        return {"length": len(body.text)}

    app.include_router(router, prefix="/routed")
    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app_under_guard())
    async with httpx.AsyncClient(transport=transport, base_url="http://guarded") as http:
        yield http


class Chunks:
    """A request body sent in chunks (no Content-Length: chunked), counting what was read."""

    def __init__(self, *, size: int, count: int) -> None:
        self.size, self.count, self.read = size, count, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(self.count):
            self.read += 1
            yield b" " * self.size


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status and problem["title"] and problem["detail"]
    return problem


async def test_a_body_declared_over_the_limit_is_refused_413_before_a_byte_is_read(
    client: httpx.AsyncClient,
) -> None:
    body = Chunks(size=64 * KIB, count=32)  # 2 MiB, over the default 1 MiB
    headers = {"content-length": str(body.size * body.count), "content-type": "application/json"}
    response = await client.post("/notes", content=body, headers=headers)
    problem = assert_problem(response, 413)
    assert str(DEFAULT_BODY_LIMIT) in problem["detail"]
    assert body.read <= 1  # refused on the header: the body was not read


async def test_a_chunked_body_is_counted_as_it_arrives_and_refused_at_the_limit(
    client: httpx.AsyncClient,
) -> None:
    body = Chunks(size=64 * KIB, count=160)  # 10 MiB with no Content-Length
    response = await client.post("/notes", content=body)
    assert_problem(response, 413)
    assert body.read <= DEFAULT_BODY_LIMIT // body.size + 2  # stopped at the limit


async def test_a_route_declares_its_own_limit_and_the_others_keep_the_default(
    client: httpx.AsyncClient,
) -> None:
    body = {"text": "a" * 40}
    assert_problem(await client.post("/tiny", json=body), 413)
    assert (await client.post("/notes", json=body)).json() == {"length": 40}
    assert (await client.post("/tiny", json={"text": ""})).status_code == 200
    assert_problem(await client.post("/routed/tiny", json=body), 413)
    assert (await client.post("/routed/tiny", json={"text": ""})).status_code == 200


async def test_a_streamed_route_reads_as_it_arrives_within_a_limit_its_settings_give(
    client: httpx.AsyncClient,
) -> None:
    within = Chunks(size=KIB, count=4)
    assert (await client.post("/uploads", content=within)).json() == {"size": 4 * KIB}
    over = Chunks(size=KIB, count=64)
    assert_problem(await client.post("/uploads", content=over), 413)
    assert over.read <= Limits.upload_max_bytes // KIB + 2


def nested(depth: int) -> str:
    return '{"text": "x", "deep": ' + "[" * (depth - 1) + "]" * (depth - 1) + "}"


async def test_json_nested_deeper_than_32_levels_is_refused_422(
    client: httpx.AsyncClient,
) -> None:
    headers = {"content-type": "application/json"}
    deepest = await client.post("/notes", content=nested(MAX_JSON_DEPTH), headers=headers)
    assert deepest.status_code == 200, deepest.text  # 32 levels pass
    problem = assert_problem(
        await client.post("/notes", content=nested(MAX_JSON_DEPTH + 1), headers=headers), 422
    )
    assert problem["errors"][0]["type"] == "json_too_deep"
    thirty_thousand = nested(30_000)
    assert_problem(await client.post("/notes", content=thirty_thousand, headers=headers), 422)


@pytest.mark.parametrize(
    ("body", "refusal"),
    [
        ('{"text": "reasons\\u0000 more"}', "string_nul"),
        ('{"text\\u0000": "x"}', "string_nul"),
        ('{"text": "\\ud800"}', "json_invalid"),  # a lone surrogate: no UTF-8 for it
        ('{"text": "x", "value": NaN}', "json_invalid"),
        ('{"text": "x", "value": Infinity}', "json_invalid"),
        ('{"text": "x", "value": 1e999}', "json_invalid"),
        ('{"text": "x"', "json_invalid"),
    ],
)
async def test_json_no_service_can_store_is_refused_422_without_echo(
    client: httpx.AsyncClient, body: str, refusal: str
) -> None:
    response = await client.post(
        "/notes", content=body, headers={"content-type": "application/json"}
    )
    problem = assert_problem(response, 422)
    assert [error["type"] for error in problem["errors"]] == [refusal]
    assert set(problem["errors"][0]) == {"loc", "msg", "type"}
    assert "reasons" not in response.text and "ud800" not in response.text


async def test_a_body_without_content_type_is_checked_like_json(
    client: httpx.AsyncClient,
) -> None:
    assert_problem(await client.post("/notes", content=b'{"text": "\\u0000"}'), 422)


async def test_a_nul_in_the_path_or_the_query_is_refused_422(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/things/appeal%00one"), 422)
    assert_problem(await client.get("/things/appeal?x=%00"), 422)
    assert (await client.get("/things/appeal-one")).json() == {"length": 10}


def test_refuse_unsafe_json_gives_the_value_or_says_where_and_why() -> None:
    assert refuse_unsafe_json('{"a": [1, {"b": "c"}]}') == {"a": [1, {"b": "c"}]}
    with pytest.raises(UnsafeInput) as nul:
        refuse_unsafe_json(b'{"a": [1, {"b": "c\\u0000"}]}')
    assert nul.value.loc == ("a", 1, "b") and nul.value.type == "string_nul"
    with pytest.raises(UnsafeInput) as deep:
        refuse_unsafe_json("[" * 30_000 + "]" * 30_000)  # no RecursionError
    assert deep.value.type == "json_too_deep"
