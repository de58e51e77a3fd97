"""Errors, once (STYLE 14): every service answers errors as RFC 9457 problem details.

One mapping for the whole platform, installed by ``create_app``:

- ``HTTPException`` (what routes raise) becomes a problem with its status and reason;
- ``RequestValidationError`` becomes a 422 listing where and why (``loc``, ``msg``,
  ``type``) and never the input (FastAPI's default echoed it: a 100 MB invalid body came
  back in a 100 MB answer, and an input JSON cannot encode gave a 500);
- ``ProblemDetails`` is raised where a problem carries extension members (e.g. an
  import's committed batches);
- ``PROBLEMS`` maps domain exceptions to a status and the reason a person can act on:
  register a new exception there, in one line, rather than catching it in routes;
- anything else is a 500 problem with a fixed reason (the exception is still logged).

A reason never quotes the request: error bodies carry no personal value (GDPR Art. 5
§1 f, Art. 32).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from guichet_core.dossier_rules import (
    DecisionIncomplete,
    DecisionRefused,
    NotCompetent,
    UnknownDossier,
)
from guichet_core.http.problem_docs import PROBLEM_JSON, document_problems, status_title
from guichet_core.http.refusals import record_refusal
from guichet_core.kernel.faults import is_transient
from guichet_core.kernel.store.records import ConcurrencyConflict
from guichet_core.stores.vault import DossierErased

MAX_LOC_PART = 64  # a key the caller chose (e.g. an unknown field) is cut to this


@dataclass(frozen=True, slots=True)
class Problem:
    status: int
    detail: str | Callable[[Exception], str]  # the reason, or how to word it from the error
    # Where and why (``loc``, ``msg``), for a refusal that names fields; never the input.
    errors: Callable[[Exception], Sequence[Mapping[str, Any]]] | None = None

    def detail_of(self, error: Exception) -> str:
        return self.detail if isinstance(self.detail, str) else self.detail(error)


def _decide_again(error: Exception) -> str:
    actual = error.actual if isinstance(error, ConcurrencyConflict) else None
    now = "" if actual is None else f" (it is at version {actual} now)"
    return f"the dossier changed{now}: reload and decide again"


# Domain exception → its problem; subclasses match their base.
PROBLEMS: dict[type[Exception], Problem] = {
    # Two decisions on one dossier at once: one is recorded, the other decided on a
    # version that is no longer the dossier's (``StaleDossier`` included). The version
    # said is the dossier's, never the one the request gave.
    ConcurrencyConflict: Problem(409, _decide_again),
    # Art. 27 of the cooperation agreement (end of retention) or GDPR Art. 17 (erasure):
    # the dossier's key is destroyed; nothing of it is read or decided any more.
    DossierErased: Problem(
        410,
        "this dossier was erased (Art. 27 of the cooperation agreement, GDPR Art. 17): "
        "its data no longer exists and nothing more can be read or decided on it",
    ),
    # A deciding service's refusals (``dossier_rules``): each error words its reason.
    UnknownDossier: Problem(404, str),
    NotCompetent: Problem(403, str),
    DecisionRefused: Problem(409, str),
    DecisionIncomplete: Problem(422, str),
}


UNAVAILABLE = (
    "the platform's database was briefly unreachable: retry in a moment with the same "
    "Idempotency-Key (a retry with it never records anything twice)"
)
UNEXPECTED = (
    "an unexpected error stopped this request: retry later, and tell the platform's "
    "operators if it persists"
)


class ProblemDetails(Exception):
    """An error answer with RFC 9457 extension members (``committed_batches``, …)."""

    def __init__(self, status: int, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.status, self.detail, self.extensions = status, detail, extensions


def problem_response(
    status: int,
    detail: str,
    *,
    errors: Sequence[Mapping[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
    **extensions: Any,
) -> Response:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": status_title(status),
        "status": status,
        "detail": _text(detail),
    }
    if errors is not None:
        body["errors"] = list(errors)
    body.update(extensions)
    return Response(
        orjson.dumps(body), status_code=status, headers=dict(headers or {}), media_type=PROBLEM_JSON
    )


def validation_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """Where and why, from pydantic's or FastAPI's error list: no ``input``, no ``ctx``."""
    return [
        {
            "loc": [_loc_part(part) for part in error.get("loc", ())],
            "msg": _text(error.get("msg", "")),
            "type": _text(error.get("type", "")),
        }
        for error in errors
        if isinstance(error, Mapping)
    ]


def summary(errors: Sequence[Mapping[str, Any]]) -> str:
    fields = len(errors)
    where = "1 field" if fields == 1 else f"{fields} fields"
    return f"the request was not accepted: {where} to correct (see errors)"


def _text(value: Any) -> str:
    """A string every encoder takes: no lone surrogate, no NUL."""
    return str(value).encode("utf-8", "replace").decode("utf-8").replace("\x00", "\ufffd")


def _loc_part(part: Any) -> str | int:
    if isinstance(part, int):
        return part
    safe = _text(part)
    return safe if len(safe) <= MAX_LOC_PART else safe[: MAX_LOC_PART - 1] + "…"


async def _http_problem(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    headers = getattr(error, "headers", None)
    if error.status_code in (204, 304) or error.status_code < 200:
        return Response(status_code=error.status_code, headers=headers)
    await record_refusal(request, error.status_code)  # Art. 29: in the dossier's access log
    if isinstance(error.detail, list):  # a route's own field errors (e.g. a filing rule)
        errors = validation_errors(error.detail)
        return problem_response(error.status_code, summary(errors), errors=errors, headers=headers)
    return problem_response(error.status_code, str(error.detail), headers=headers)


async def _validation_problem(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    errors = validation_errors(error.errors())
    return problem_response(422, summary(errors), errors=errors)


async def _problem_details(request: Request, error: Exception) -> Response:
    assert isinstance(error, ProblemDetails)
    return problem_response(error.status, error.detail, **error.extensions)


async def _unexpected(request: Request, error: Exception) -> Response:
    # Starlette logs the exception after this answer; the answer says nothing of it.
    if is_transient(error):  # the database or the network, not the request: retry it
        return problem_response(503, UNAVAILABLE, headers={"Retry-After": "1"})
    return problem_response(500, UNEXPECTED)


def _handler_for(problem: Problem) -> Callable[[Request, Exception], Awaitable[Response]]:
    async def handle(request: Request, error: Exception) -> Response:
        await record_refusal(request, problem.status)  # a 403 or 404 on a dossier: Art. 29
        errors = problem.errors(error) if problem.errors else None
        return problem_response(problem.status, problem.detail_of(error), errors=errors)

    return handle


def install_problems(
    app: FastAPI, service_problems: Mapping[type[Exception], Problem] | None = None
) -> None:
    """Every error of ``app`` as a problem, and its OpenAPI saying so (413, 422); a
    service's own domain exceptions (``ServiceSpec.problems``) are mapped the same way."""
    app.add_exception_handler(HTTPException, _http_problem)
    app.add_exception_handler(RequestValidationError, _validation_problem)
    app.add_exception_handler(ProblemDetails, _problem_details)
    for exception, problem in {**PROBLEMS, **(service_problems or {})}.items():
        app.add_exception_handler(exception, _handler_for(problem))
    app.add_exception_handler(Exception, _unexpected)  # a 500, still a problem
    document_problems(app)
