"""The GDPR information notice (Art. 13 and 14) the platform serves (Art. 28 of the
cooperation agreement of 31 January 2025), in French, Dutch, German and English.

The texts are resource files, one per language (``notices/<language>.json``), so that a
translator edits text, not code: a title, an introduction and the same sections in every
language, each with a stable ``id``, a ``title`` and ``paragraphs``, so a page or an API
renders it and a test can check that the languages say the same things. Articles ("Art.
N") are those of the cooperation agreement unless the GDPR is named. Keep the four
versions in step: a paragraph added in one language is added in all.
"""

from __future__ import annotations

import copy
import functools
import json
from importlib import resources
from typing import Any

from guichet_retention.rights import LANGUAGES, RightsError

__all__ = ["LANGUAGES", "SECTION_IDS", "notice"]

SECTION_IDS: tuple[str, ...] = (
    "controllers",
    "purposes",
    "legal_basis",
    "data_and_sources",
    "recipients",
    "retention",
    "rights",
    "complaint",
)


@functools.cache
def _notice(language: str) -> dict[str, Any]:
    text = resources.files("guichet_retention").joinpath("notices", f"{language}.json")
    document: dict[str, Any] = json.loads(text.read_text(encoding="utf-8"))
    return document


def notice(language: str) -> dict[str, Any]:
    """The notice in ``language`` (fr, nl, de or en): ``{"language", "title",
    "introduction", "sections": [{"id", "title", "paragraphs": [...]}, ...]}``, a copy the
    caller may change."""
    if language not in LANGUAGES:
        raise RightsError(f"language must be one of {', '.join(LANGUAGES)}, not {language!r}")
    return copy.deepcopy(_notice(language))
