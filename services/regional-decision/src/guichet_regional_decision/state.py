"""The competent region's view of a dossier: the fold of its stream (Art. 9, 12 §1, 20 §4).

Each event moves the dossier on and names its step in the timeline (the names every
service shares, ``TimelineStep``). Pure: ``evolve`` is given the time it was recorded.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from guichet_contracts import (
    ApplicationDeclaredAdmissible,
    ApplicationFiled,
    AuthorisationWithdrawn,
    DomainEvent,
    NegativeDecisionTaken,
    ProfessionalCardGranted,
    SupplementaryDocumentsRequested,
    SupplementaryDocumentsSupplied,
    WorkAuthorised,
)
from guichet_contracts.vocabulary import ApplicationKind, CompetentAuthority, TimelineStep

History = tuple[tuple[TimelineStep, datetime], ...]  # the timeline: each step and when


class Status(StrEnum):
    AWAITING_ADMISSIBILITY = "awaiting_admissibility"
    AWAITING_DOCUMENTS = "awaiting_documents"
    UNDER_EXAMINATION = "under_examination"  # admissible: the work decision is pending
    WORK_AUTHORISED = "work_authorised"
    PROFESSIONAL_CARD_GRANTED = "professional_card_granted"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


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
    history: History = ()


def evolve(state: Dossier | None, event: DomainEvent, *, at: datetime) -> Dossier:
    """The dossier after ``event`` (recorded ``at``)."""
    if isinstance(event, ApplicationFiled):
        return Dossier(
            event.application_id,
            event.competent_authority,
            event.kind,
            event.filed_at,
            history=((TimelineStep.FILED, event.filed_at),),
        )
    assert state is not None, f"{type(event).__name__} before the application was filed"
    apply = _EVOLVE.get(type(event))
    return state if apply is None else apply(state, event, at)


def _step(state: Dossier, name: TimelineStep, at: datetime) -> History:
    return (*state.history, (name, at))


def _admissible(state: Dossier, _: ApplicationDeclaredAdmissible, at: datetime) -> Dossier:
    return replace(
        state,
        status=Status.UNDER_EXAMINATION,
        admissible_at=at,
        history=_step(state, TimelineStep.ADMISSIBLE, at),
    )


def _requested(state: Dossier, event: SupplementaryDocumentsRequested, at: datetime) -> Dossier:
    """Art. 20 §4: the clock is suspended from the request until the documents arrive."""
    return replace(
        state,
        status=Status.AWAITING_DOCUMENTS,
        open_request=event.request_id,
        resume_status=state.status,
        suspensions=(*state.suspensions, (at, None)),
        history=_step(state, TimelineStep.DOCUMENTS_REQUESTED, at),
    )


def _supplied(state: Dossier, event: SupplementaryDocumentsSupplied, at: datetime) -> Dossier:
    if state.open_request != event.request_id:
        return state  # documents answering another request change nothing
    (since, _), *_ = state.suspensions[-1:]
    return replace(
        state,
        status=state.resume_status or Status.AWAITING_ADMISSIBILITY,
        open_request=None,
        resume_status=None,
        suspensions=(*state.suspensions[:-1], (since, at)),
        history=_step(state, TimelineStep.DOCUMENTS_SUPPLIED, at),
    )


def _card_granted(state: Dossier, event: ProfessionalCardGranted, at: datetime) -> Dossier:
    return replace(
        state,
        status=Status.PROFESSIONAL_CARD_GRANTED,
        work_valid_until=event.valid_until,
        history=_step(state, TimelineStep.PROFESSIONAL_CARD_GRANTED, at),
    )


def _work_authorised(state: Dossier, event: WorkAuthorised, at: datetime) -> Dossier:
    return replace(
        state,
        status=Status.WORK_AUTHORISED,
        work_valid_until=event.valid_until,
        history=_step(state, TimelineStep.WORK_AUTHORISED, at),
    )


def _refused(state: Dossier, event: NegativeDecisionTaken, at: datetime) -> Dossier:
    step = TimelineStep.refused(event.step)
    return replace(state, status=Status.REFUSED, history=_step(state, step, at))


def _withdrawn(state: Dossier, event: AuthorisationWithdrawn, at: datetime) -> Dossier:
    step = TimelineStep.withdrawn(event.step)
    return replace(state, status=Status.WITHDRAWN, history=_step(state, step, at))


_EVOLVE: dict[type[DomainEvent], Callable[[Dossier, Any, datetime], Dossier]] = {
    ApplicationDeclaredAdmissible: _admissible,
    SupplementaryDocumentsRequested: _requested,
    SupplementaryDocumentsSupplied: _supplied,
    ProfessionalCardGranted: _card_granted,
    WorkAuthorised: _work_authorised,
    NegativeDecisionTaken: _refused,
    AuthorisationWithdrawn: _withdrawn,
}
