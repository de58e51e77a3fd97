"""Intake's refusals as RFC 9457 problems, mapped once for every route (STYLE 14).

Core's mapping (``guichet_core.problems``) answers the platform's errors; these are the
domain errors only intake raises. A refusal names the field or the document (its place
and kind) and what to do, never the value, the file name or the content (GDPR Art. 5
§1 f).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request, status
from starlette.responses import Response

from guichet_core.problems import problem_response, summary, validation_errors
from guichet_core.refusals import record_refusal
from guichet_intake.documents import DocumentRejected
from guichet_intake.domain import NotYourApplication
from guichet_intake.filing_rules import FilingRejected


async def _filing_rejected(request: Request, error: Exception) -> Response:
    assert isinstance(error, FilingRejected)
    place = {"loc": ["body", *error.field.split(".")], "msg": error.reason}
    errors = validation_errors([place])
    return problem_response(status.HTTP_422_UNPROCESSABLE_CONTENT, summary(errors), errors=errors)


async def _document_rejected(request: Request, error: Exception) -> Response:
    assert isinstance(error, DocumentRejected)
    place = {"loc": ["body", "documents", error.index], "msg": error.reason, "type": "document"}
    return problem_response(status.HTTP_422_UNPROCESSABLE_CONTENT, error.detail, errors=[place])


async def _not_yours(request: Request, error: Exception) -> Response:
    await record_refusal(request, status.HTTP_404_NOT_FOUND)  # Art. 29: the attempt is logged
    return problem_response(status.HTTP_404_NOT_FOUND, str(error))


PROBLEMS: dict[type[Exception], Callable[[Request, Exception], Awaitable[Response]]] = {
    FilingRejected: _filing_rejected,
    DocumentRejected: _document_rejected,
    NotYourApplication: _not_yours,
}
