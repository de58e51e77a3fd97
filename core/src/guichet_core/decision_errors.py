"""Why a deciding service refuses a command: pure exceptions its domain raises and the
problem mapping (``guichet_core.problems.PROBLEMS``) answers, each with one status.

No I/O and no framework here, so a service's ``domain.py`` may raise them.
"""

from __future__ import annotations


class UnknownDossier(LookupError):
    """This service holds no such dossier (HTTP 404)."""


class NotCompetent(PermissionError):
    """The caller is not the authority that decides this dossier (HTTP 403)."""


class DecisionRefused(Exception):
    """The command cannot apply to the dossier as it stands (HTTP 409)."""


class DecisionIncomplete(ValueError):
    """The command lacks what such a decision must state (HTTP 422)."""


class ReasonsMissing(DecisionIncomplete):
    """A negative decision without its reasons (HTTP 422, Art. 24)."""
