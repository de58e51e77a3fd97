"""The dated acknowledgment of receipt of a rights request (Art. 29 §4), in fr, nl, de or en.

The words (months, controllers, rights and the letter itself) are a resource file,
``notices/acknowledgment.json``, kept in step across the four languages; dates are
written out here, in Brussels time, with no locale of the host involved.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import date, datetime
from importlib import resources
from typing import Any

from guichet_retention.rights import (
    BRUSSELS,
    GDPR_ARTICLE,
    LANGUAGES,
    RightKind,
    RightsError,
    RightsRequest,
)

__all__ = ["Acknowledgment", "acknowledgment", "format_date"]


@dataclass(frozen=True)
class Acknowledgment:
    request_id: str
    received_at: datetime
    controller: str
    kind: RightKind
    due_on: date
    text: str


@functools.cache
def _words() -> dict[str, Any]:
    text = resources.files("guichet_retention").joinpath("notices", "acknowledgment.json")
    words: dict[str, Any] = json.loads(text.read_text(encoding="utf-8"))
    return words


def format_date(day: date, language: str) -> str:
    """``day`` written out in ``language``: 28 février 2025, 28 februari 2025, 28. Februar
    2025, 28 February 2025."""
    month = _words()["months"][language][day.month - 1]
    if language == "de":
        return f"{day.day}. {month} {day.year}"
    return f"{day.day} {month} {day.year}"


def _format_moment(moment: datetime, language: str) -> str:
    local = moment.astimezone(BRUSSELS)
    day = format_date(local.date(), language)
    return {
        "fr": f"{day} à {local:%H} h {local:%M} (heure de Bruxelles)",
        "nl": f"{day} om {local:%H.%M} uur (Brusselse tijd)",
        "de": f"{day} um {local:%H:%M} Uhr (Brüsseler Zeit)",
        "en": f"{day} at {local:%H:%M} (Brussels time)",
    }[language]


def acknowledgment(request: RightsRequest, language: str) -> Acknowledgment:
    """The dated acknowledgment of receipt, issued at once (Art. 29 §4), in fr, nl, de or en."""
    if language not in LANGUAGES:
        raise RightsError(f"language must be one of {', '.join(LANGUAGES)}, not {language!r}")
    words = _words()
    text = words["acknowledgment"][language].format(
        id=request.request_id,
        right=words["rights"][request.kind.value][language],
        article=GDPR_ARTICLE[request.kind],
        received=_format_moment(request.received_at, language),
        controller=words["controllers"][request.controller][language],
        due=format_date(request.due_on, language),
    )
    return Acknowledgment(
        request_id=request.request_id,
        received_at=request.received_at,
        controller=request.controller,
        kind=request.kind,
        due_on=request.due_on,
        text=text,
    )
