"""Intake's refusals as RFC 9457 problems, mapped once for every route (STYLE 14,
``ServiceSpec.problems``, next to core's).

A refusal names the field or the document (its place and kind) and what to do, never
the value, the file name or the content (GDPR Art. 5 §1 f).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from guichet_core.http.problems import Problem, summary, validation_errors
from guichet_intake.documents import DocumentRejected
from guichet_intake.domain import NotYourApplication
from guichet_intake.filing_rules import FilingRejected


def _field(error: Exception) -> list[dict[str, Any]]:
    assert isinstance(error, FilingRejected)
    return validation_errors([{"loc": ["body", *error.field.split(".")], "msg": error.reason}])


def _document(error: Exception) -> list[Mapping[str, Any]]:
    assert isinstance(error, DocumentRejected)
    return [{"loc": ["body", "documents", error.index], "msg": error.reason, "type": "document"}]


def _document_detail(error: Exception) -> str:
    assert isinstance(error, DocumentRejected)
    return error.detail


PROBLEMS: dict[type[Exception], Problem] = {
    FilingRejected: Problem(422, lambda error: summary(_field(error)), errors=_field),
    DocumentRejected: Problem(422, _document_detail, errors=_document),
    # Recorded in the dossier's access log as a refused attempt (Art. 29).
    NotYourApplication: Problem(404, str),
}
