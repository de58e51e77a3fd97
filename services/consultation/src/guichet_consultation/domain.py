"""What a caller can ask of consultation, and why it may be refused: pure, no I/O.

Consultation decides nothing on a dossier: it reads the projection (``projection``, the
fold of every service's events) and cuts it by the access policy (``policy``, Art. 11,
21-26). Each thing a caller can ask is a command below; the handlers (``handlers``) run
them, and every consultation, denials included, goes in the person's access log (Art.
29). Clocks are passed in: ``now`` is a field of the command that needs one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # the verified caller: a plain dataclass of core.auth
    from guichet_core.http.auth import Caller

SEARCH_RESULTS = 200  # dossiers a search consults at most
Outcome = Literal["allowed", "partial", "denied"]  # of one consultation, in the access log


class NoSuchDossier(LookupError):
    """No filed dossier of that id in the projection (a 404; still logged, Art. 29)."""


class NothingToRead(PermissionError):
    """The policy shows the caller no category of the dossier (a 403; logged, Art. 29)."""


class NothingToSearch(ValueError):
    """A search that names neither a NISS nor an enterprise number (a 422)."""


@dataclass(frozen=True)
class ConsultDossier:
    """Read what the policy lets ``caller`` see of one dossier, for ``purpose``."""

    caller: Caller
    dossier_id: str
    purpose: str | None
    now: datetime


@dataclass(frozen=True)
class SearchDossiers:
    """Find dossiers by NISS or enterprise number: each match is a consultation."""

    caller: Caller
    niss: str | None
    enterprise_number: str | None
    purpose: str | None
    now: datetime

    def __post_init__(self) -> None:
        if not self.niss and not self.enterprise_number:
            raise NothingToSearch("give niss or enterprise_number")


@dataclass(frozen=True)
class ListMyDossiers:
    """The applicant's own dossiers (as worker, employer or mandatary)."""

    caller: Caller
    now: datetime


@dataclass(frozen=True)
class ReadMyAccessLog:
    """Who consulted the applicant's dossiers (Art. 29; CJEU C-579/21)."""

    caller: Caller


@dataclass(frozen=True)
class ReadDossierAccessLog:
    """Every consultation and refused attempt on one dossier, for the supervisor (Art. 29;
    GDPR Art. 15 §1 c, Art. 58)."""

    dossier_id: str


@dataclass(frozen=True)
class VerifyAccessLog:
    """Recompute the access log's hash chain."""


Command = (
    ConsultDossier
    | SearchDossiers
    | ListMyDossiers
    | ReadMyAccessLog
    | ReadDossierAccessLog
    | VerifyAccessLog
)


def outcome_of(read: list[str], withheld: list[str]) -> Outcome:
    """Art. 29: a consultation that read nothing is a denial, one that read part of what
    it asked is partial."""
    if not read:
        return "denied"
    return "partial" if withheld else "allowed"


def enterprise_digits(number: str) -> str:
    """A KBO/BCE number as stored: its ten digits, separators dropped."""
    return "".join(c for c in number if c.isdigit()).zfill(10)


def caller_key(caller: Caller) -> str:
    """Who searches, for the search limit: the authority and its agent."""
    return f"{caller.authority.value}:{caller.agent_id}"
