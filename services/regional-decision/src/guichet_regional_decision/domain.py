"""The competent region's part of a dossier (Art. 9, Art. 12 §1, Art. 20 §4, Art. 24).

Chronological, not parallel: admissibility (recevabilité / ontvankelijkheid) first,
then the work decision; supplementary documents may be asked at either step. A
dossier's state is the fold of its stream (``evolve``); a command yields new events
or is refused with a reason (``decide``). No I/O here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import ClassVar

from guichet_contracts import (
    ApplicationDeclaredAdmissible,
    ApplicationFiled,
    AuthorisationWithdrawn,
    DomainEvent,
    EventRegistry,
    NegativeDecisionTaken,
    ProfessionalCardGranted,
    SealedData,
    SupplementaryDocumentsRequested,
    SupplementaryDocumentsSupplied,
    WorkAuthorised,
)
from guichet_contracts.vocabulary import (
    ApplicationKind,
    CompetentAuthority,
    DecisionStep,
    DocumentKind,
)

# Events only this service reads: the reasons of its negative decisions (Art. 24). They
# stay in its own store, sealed with the dossier's key, and are never published.
PRIVATE = EventRegistry()


@PRIVATE.register
class DecisionReasonRecorded(DomainEvent):
    event_type: ClassVar[str] = "be.guichet.regional.decision-reason.v1"
    schema_version: ClassVar[int] = 1

    step: DecisionStep
    reason: SealedData


class Status(StrEnum):
    AWAITING_ADMISSIBILITY = "awaiting_admissibility"
    AWAITING_DOCUMENTS = "awaiting_documents"
    UNDER_EXAMINATION = "under_examination"  # admissible: the work decision is pending
    WORK_AUTHORISED = "work_authorised"
    PROFESSIONAL_CARD_GRANTED = "professional_card_granted"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


class Refused(Exception):
    """The command cannot apply to the dossier as it stands (HTTP 409)."""


class NotCompetent(Exception):
    """Only the region competent for the place of work decides (Art. 9; HTTP 403)."""


@dataclass(frozen=True)
class Dossier:
    application_id: uuid.UUID
    authority: CompetentAuthority
    kind: ApplicationKind
    filed_at: datetime
    status: Status = Status.AWAITING_ADMISSIBILITY
    version: int = 0
    open_request: str | None = None
    resume_status: Status | None = None  # where supplied documents take the dossier back
    admissible_at: datetime | None = None
    suspensions: tuple[tuple[datetime, datetime | None], ...] = ()
    work_valid_until: date | None = None
    history: tuple[tuple[str, datetime], ...] = field(default=())


def evolve(state: Dossier | None, event: DomainEvent, *, at: datetime) -> Dossier:
    """The dossier after ``event`` (recorded ``at``)."""
    if isinstance(event, ApplicationFiled):
        return Dossier(
            event.application_id,
            event.competent_authority,
            event.kind,
            event.filed_at,
            history=(("filed", event.filed_at),),
        )
    assert state is not None, f"{type(event).__name__} before the application was filed"
    current = state

    def step(name: str) -> tuple[tuple[str, datetime], ...]:
        return (*current.history, (name, at))

    match event:
        case ApplicationDeclaredAdmissible():
            return replace(
                state, status=Status.UNDER_EXAMINATION, admissible_at=at, history=step("admissible")
            )
        case SupplementaryDocumentsRequested():
            return replace(
                state,
                status=Status.AWAITING_DOCUMENTS,
                open_request=event.request_id,
                resume_status=state.status,
                suspensions=(*state.suspensions, (at, None)),
                history=step("documents_requested"),
            )
        case SupplementaryDocumentsSupplied():
            if state.open_request != event.request_id:
                return state
            (since, _), *_ = state.suspensions[-1:]
            return replace(
                state,
                status=state.resume_status or Status.AWAITING_ADMISSIBILITY,
                open_request=None,
                resume_status=None,
                suspensions=(*state.suspensions[:-1], (since, at)),
                history=step("documents_supplied"),
            )
        case ProfessionalCardGranted():
            return replace(
                state,
                status=Status.PROFESSIONAL_CARD_GRANTED,
                work_valid_until=event.valid_until,
                history=step("professional_card_granted"),
            )
        case WorkAuthorised():
            return replace(
                state,
                status=Status.WORK_AUTHORISED,
                work_valid_until=event.valid_until,
                history=step("work_authorised"),
            )
        case NegativeDecisionTaken():
            return replace(state, status=Status.REFUSED, history=step(f"{event.step}_refused"))
        case AuthorisationWithdrawn():
            return replace(state, status=Status.WITHDRAWN, history=step("withdrawn"))
    return state


def check_competent(state: Dossier, authority: CompetentAuthority) -> None:
    """The region of the place of work decides (Art. 9); any other is ``NotCompetent``."""
    if authority != state.authority:
        raise NotCompetent(
            f"this dossier is decided by {state.authority.value} (the region of "
            f"the place of work, Art. 9), not {authority.value}"
        )


def _expect(state: Dossier, *allowed: Status, doing: str) -> None:
    if state.status not in allowed:
        raise Refused(f"cannot {doing}: the dossier is {state.status.value}")


def declare_admissible(
    state: Dossier, authority: CompetentAuthority, now: datetime
) -> list[DomainEvent]:
    check_competent(state, authority)
    _expect(state, Status.AWAITING_ADMISSIBILITY, doing="declare it admissible")
    return [
        ApplicationDeclaredAdmissible(
            application_id=state.application_id, authority=authority, decided_at=now
        )
    ]


def refuse(
    state: Dossier,
    authority: CompetentAuthority,
    step: DecisionStep,
    reason: SealedData,
    now: datetime,
) -> list[DomainEvent]:
    """Inadmissible, work refused or professional card refused: the shared event says
    only that a negative decision was taken; the reason stays here (Art. 24)."""
    check_competent(state, authority)
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
            application_id=state.application_id, step=step, authority=authority, decided_at=now
        ),
    ]


def request_documents(
    state: Dossier,
    authority: CompetentAuthority,
    kinds: tuple[DocumentKind, ...],
    due_on: date,
    now: datetime,
) -> list[DomainEvent]:
    check_competent(state, authority)
    _expect(
        state, Status.AWAITING_ADMISSIBILITY, Status.UNDER_EXAMINATION, doing="ask for documents"
    )
    if due_on <= now.date():
        raise Refused("the due date for the documents must be in the future")
    return [
        SupplementaryDocumentsRequested(
            application_id=state.application_id,
            request_id=uuid.uuid4().hex,
            authority=authority,
            document_kinds=kinds,
            due_on=due_on,
            requested_at=now,
        )
    ]


def authorise_work(
    state: Dossier,
    authority: CompetentAuthority,
    valid_from: date,
    valid_until: date,
    now: datetime,
) -> list[DomainEvent]:
    check_competent(state, authority)
    _expect(state, Status.UNDER_EXAMINATION, doing="authorise the work")
    if state.kind is ApplicationKind.PROFESSIONAL_CARD:
        raise Refused("a professional card is not a work authorisation")
    if valid_until <= valid_from:
        raise Refused("the validity must end after it starts")
    return [
        WorkAuthorised(
            application_id=state.application_id,
            authority=authority,
            valid_from=valid_from,
            valid_until=valid_until,
            decided_at=now,
        )
    ]


def withdraw(
    state: Dossier, authority: CompetentAuthority, reason: SealedData, now: datetime
) -> list[DomainEvent]:
    check_competent(state, authority)
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
            authority=authority,
            withdrawn_at=now,
        ),
    ]


def grant_professional_card(
    state: Dossier,
    authority: CompetentAuthority,
    valid_from: date,
    valid_until: date,
    now: datetime,
) -> list[DomainEvent]:
    """Art. 12 §1: the regions decide professional cards (a procedure that opens on a
    date a later agreement sets, Art. 34, 36: intake keeps it closed until then)."""
    check_competent(state, authority)
    _expect(state, Status.UNDER_EXAMINATION, doing="grant a professional card")
    if state.kind is not ApplicationKind.PROFESSIONAL_CARD:
        raise Refused(f"a {state.kind.value} is not a professional-card application")
    if valid_until <= valid_from:
        raise Refused("the validity must end after it starts")
    return [
        ProfessionalCardGranted(
            application_id=state.application_id,
            authority=authority,
            valid_from=valid_from,
            valid_until=valid_until,
            decided_at=now,
        )
    ]
