"""The pure part the deciding services share: what every command on a dossier says,
and why one is refused (exceptions the problem mapping, ``guichet_core.http.problems.PROBLEMS``,
answers with one status each).

No I/O and no framework here, so a service's ``domain.py`` builds on it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime


class UnknownDossier(LookupError):
    """This service holds no such dossier (HTTP 404)."""


class NotCompetent(Exception):
    """The caller is not the authority that decides this dossier (HTTP 403)."""


class DecisionRefused(Exception):
    """The command cannot apply to the dossier as it stands (HTTP 409)."""


class DecisionIncomplete(ValueError):
    """The command lacks what such a decision must state (HTTP 422)."""


class ReasonsMissing(DecisionIncomplete):
    """A negative decision without its reasons (HTTP 422, Art. 24)."""


@dataclass(frozen=True, kw_only=True)
class DossierCommand:
    """What every decision on a dossier says: which one, when (the clock is given), and
    the version the caller decided on (a newer one refuses, 409)."""

    application_id: uuid.UUID
    now: datetime
    expected_version: int | None = None


@dataclass(frozen=True, kw_only=True)
class ReasonedCommand(DossierCommand):
    """A negative decision: it states its reasons, which reach the worker alone (Art. 24)."""

    reasons: str

    def __post_init__(self) -> None:
        if not self.reasons:
            raise ReasonsMissing(
                "a negative decision states its reasons; they reach the worker only (Art. 24)"
            )
