"""The competent region's part of a dossier (Art. 9, Art. 12 §1, Art. 20 §4, Art. 24).

Chronological, not parallel: admissibility (recevabilité / ontvankelijkheid) first,
then the work decision; supplementary documents may be asked at either step. A
dossier's state is the fold of its stream (``evolve``); a command yields new events
or is refused with a reason (``decide``). No I/O here: the clock and the sealed
reasons of a negative decision are given.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import ClassVar

from guichet_contracts import (
    ApplicationDeclaredAdmissible,
    AuthorisationWithdrawn,
    DomainEvent,
    EventRegistry,
    NegativeDecisionTaken,
    ProfessionalCardGranted,
    SealedData,
    SupplementaryDocumentsRequested,
    WorkAuthorised,
)
from guichet_contracts.vocabulary import (
    ApplicationKind,
    CompetentAuthority,
    DecisionStep,
    DocumentKind,
)
from guichet_core import dossier_rules
from guichet_regional_decision.state import Dossier, Status, evolve

__all__ = [
    "PRIVATE",
    "AuthoriseWork",
    "Command",
    "DecisionReasonRecorded",
    "DeclareAdmissible",
    "Dossier",
    "GrantProfessionalCard",
    "NotCompetent",
    "Reasoned",
    "Refuse",
    "Refused",
    "RequestDocuments",
    "Status",
    "Withdraw",
    "check_competent",
    "decide",
    "evolve",
]

# Events only this service reads: the reasons of its negative decisions (Art. 24). They
# stay in its own store, sealed with the dossier's key, and are never published.
PRIVATE = EventRegistry()


@PRIVATE.register
class DecisionReasonRecorded(DomainEvent):
    event_type: ClassVar[str] = "be.guichet.regional.decision-reason.v1"
    schema_version: ClassVar[int] = 1

    step: DecisionStep
    reason: SealedData


class Refused(dossier_rules.DecisionRefused):
    """The command cannot apply to the dossier as it stands (HTTP 409)."""


class NotCompetent(dossier_rules.NotCompetent):
    """Only the region competent for the place of work decides (Art. 9; HTTP 403)."""


# What a region can ask of a dossier. ``authority`` is the caller's; ``now`` the clock.


@dataclass(frozen=True, kw_only=True)
class Command(dossier_rules.DossierCommand):
    authority: CompetentAuthority  # the caller's: only the competent region decides (Art. 9)


@dataclass(frozen=True, kw_only=True)
class Reasoned(dossier_rules.ReasonedCommand, Command):
    """A negative decision: its reasons reach the worker alone (Art. 24)."""


@dataclass(frozen=True, kw_only=True)
class DeclareAdmissible(Command):
    """Art. 12 §1: the region examines admissibility first."""


@dataclass(frozen=True, kw_only=True)
class Refuse(Reasoned):
    """Inadmissible, work refused, or professional card refused (``step``)."""

    step: DecisionStep


@dataclass(frozen=True, kw_only=True)
class RequestDocuments(Command):
    """Art. 20 §4: supplementary documents, by a due date."""

    document_kinds: tuple[DocumentKind, ...]
    due_on: date
    explanation: str
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)


@dataclass(frozen=True, kw_only=True)
class AuthoriseWork(Command):
    valid_from: date
    valid_until: date


@dataclass(frozen=True, kw_only=True)
class GrantProfessionalCard(Command):
    """Art. 12 §1: the regions decide professional cards (a procedure that opens on a date
    a later agreement sets, Art. 34, 36: intake keeps it closed until then)."""

    valid_from: date
    valid_until: date


@dataclass(frozen=True, kw_only=True)
class Withdraw(Reasoned):
    """Art. 18: withdraw a work authorisation or professional card the region granted."""


# decide: the events a command yields, or the rule it breaks.


def decide(
    state: Dossier, command: Command, *, sealed: SealedData | None = None
) -> list[DomainEvent]:
    """The events of ``command`` on the dossier; a negative decision's reasons come
    ``sealed`` (the handler seals them once the caller is known competent)."""
    check_competent(state, command.authority)
    match command:
        case DeclareAdmissible():
            return _declare_admissible(state, command)
        case RequestDocuments():
            return _request_documents(state, command)
        case AuthoriseWork():
            return _authorise_work(state, command)
        case GrantProfessionalCard():
            return _grant_professional_card(state, command)
        case Refuse():
            return _refuse(state, command, _reason(sealed))
        case Withdraw():
            return _withdraw(state, command, _reason(sealed))
    raise TypeError(f"a region does not decide {type(command).__name__}")


def check_competent(state: Dossier, authority: CompetentAuthority) -> None:
    """The region of the place of work decides (Art. 9); any other is ``NotCompetent``."""
    if authority != state.authority:
        raise NotCompetent(
            f"this dossier is decided by {state.authority.value} (the region of "
            f"the place of work, Art. 9), not {authority.value}"
        )


def _reason(sealed: SealedData | None) -> SealedData:
    if sealed is None:
        raise dossier_rules.ReasonsMissing("a negative decision keeps its reasons (Art. 24)")
    return sealed


def _expect(state: Dossier, *allowed: Status, doing: str) -> None:
    if state.status not in allowed:
        raise Refused(f"cannot {doing}: the dossier is {state.status.value}")


def _valid(valid_from: date, valid_until: date) -> None:
    if valid_until <= valid_from:
        raise Refused("the validity must end after it starts")


def _declare_admissible(state: Dossier, command: DeclareAdmissible) -> list[DomainEvent]:
    _expect(state, Status.AWAITING_ADMISSIBILITY, doing="declare it admissible")
    return [
        ApplicationDeclaredAdmissible(
            application_id=state.application_id, authority=command.authority, decided_at=command.now
        )
    ]


def _refuse(state: Dossier, command: Refuse, reason: SealedData) -> list[DomainEvent]:
    """Inadmissible, work refused or professional card refused: the shared event says
    only that a negative decision was taken; the reason stays here (Art. 24)."""
    step = command.step
    if step is DecisionStep.ADMISSIBILITY:
        _expect(state, Status.AWAITING_ADMISSIBILITY, doing="declare it inadmissible")
    elif step in (DecisionStep.WORK, DecisionStep.PROFESSIONAL_CARD):
        _expect(state, Status.UNDER_EXAMINATION, doing="refuse it")
        card = state.kind is ApplicationKind.PROFESSIONAL_CARD
        if card != (step is DecisionStep.PROFESSIONAL_CARD):
            raise Refused(f"a {state.kind.value} is not decided by a {step.value} decision")
    else:
        raise Refused(f"a region does not take {step.value} decisions (Art. 12 §1)")
    return [
        DecisionReasonRecorded(application_id=state.application_id, step=step, reason=reason),
        NegativeDecisionTaken(
            application_id=state.application_id,
            step=step,
            authority=command.authority,
            decided_at=command.now,
        ),
    ]


def _request_documents(state: Dossier, command: RequestDocuments) -> list[DomainEvent]:
    _expect(
        state, Status.AWAITING_ADMISSIBILITY, Status.UNDER_EXAMINATION, doing="ask for documents"
    )
    if command.due_on <= command.now.date():
        raise Refused("the due date for the documents must be in the future")
    return [
        SupplementaryDocumentsRequested(
            application_id=state.application_id,
            request_id=command.request_id,
            authority=command.authority,
            document_kinds=command.document_kinds,
            due_on=command.due_on,
            requested_at=command.now,
        )
    ]


def _authorise_work(state: Dossier, command: AuthoriseWork) -> list[DomainEvent]:
    _expect(state, Status.UNDER_EXAMINATION, doing="authorise the work")
    if state.kind is ApplicationKind.PROFESSIONAL_CARD:
        raise Refused("a professional card is not a work authorisation")
    _valid(command.valid_from, command.valid_until)
    return [
        WorkAuthorised(
            application_id=state.application_id,
            authority=command.authority,
            valid_from=command.valid_from,
            valid_until=command.valid_until,
            decided_at=command.now,
        )
    ]


def _grant_professional_card(state: Dossier, command: GrantProfessionalCard) -> list[DomainEvent]:
    _expect(state, Status.UNDER_EXAMINATION, doing="grant a professional card")
    if state.kind is not ApplicationKind.PROFESSIONAL_CARD:
        raise Refused(f"a {state.kind.value} is not a professional-card application")
    _valid(command.valid_from, command.valid_until)
    return [
        ProfessionalCardGranted(
            application_id=state.application_id,
            authority=command.authority,
            valid_from=command.valid_from,
            valid_until=command.valid_until,
            decided_at=command.now,
        )
    ]


def _withdraw(state: Dossier, command: Withdraw, reason: SealedData) -> list[DomainEvent]:
    _expect(
        state,
        Status.WORK_AUTHORISED,
        Status.PROFESSIONAL_CARD_GRANTED,
        doing="withdraw the authorisation",
    )
    card = state.kind is ApplicationKind.PROFESSIONAL_CARD
    step = DecisionStep.PROFESSIONAL_CARD if card else DecisionStep.WORK
    return [
        DecisionReasonRecorded(application_id=state.application_id, step=step, reason=reason),
        AuthorisationWithdrawn(
            application_id=state.application_id,
            step=step,
            authority=command.authority,
            withdrawn_at=command.now,
        ),
    ]
