"""The Immigration Office's view of a single-permit dossier: the fold of its stream.

It follows the region's decisions (the residence part waits for the work one, Art. 12
§1) and the 90-day clock of Directive (EU) 2024/1233, which covers the whole procedure:
it runs from the region's admissibility, suspended while documents are awaited. Each
event names its step in the timeline (``TimelineStep``, shared by every service).
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
    ResidenceAuthorised,
    SinglePermitGranted,
    StayEnded,
    SupplementaryDocumentsRequested,
    SupplementaryDocumentsSupplied,
    WorkAuthorised,
)
from guichet_contracts.vocabulary import ApplicationKind, TimelineStep

History = tuple[tuple[TimelineStep, datetime], ...]  # the timeline: each step and when


class Status(StrEnum):
    AWAITING_WORK_DECISION = "awaiting_work_decision"
    AWAITING_RESIDENCE_DECISION = "awaiting_residence_decision"
    GRANTED = "granted"
    REFUSED = "refused"  # by the region or by the Office
    WITHDRAWN = "withdrawn"
    STAY_ENDED = "stay_ended"


@dataclass(frozen=True)
class Dossier:
    application_id: uuid.UUID
    kind: ApplicationKind
    status: Status = Status.AWAITING_WORK_DECISION
    version: int = 0
    work_valid_from: date | None = None
    work_valid_until: date | None = None
    work_authorised_at: datetime | None = None
    complete_on: date | None = None  # the region's admissibility: the clock starts
    suspensions: tuple[tuple[date, date | None], ...] = ()
    history: History = ()


def evolve(state: Dossier | None, event: DomainEvent, *, at: datetime) -> Dossier:
    """The dossier after ``event`` (recorded ``at``)."""
    if isinstance(event, ApplicationFiled):
        return Dossier(
            event.application_id, event.kind, history=((TimelineStep.FILED, event.filed_at),)
        )
    assert state is not None, f"{type(event).__name__} before the application was filed"
    apply = _EVOLVE.get(type(event))
    return state if apply is None else apply(state, event, at)


def _step(state: Dossier, name: TimelineStep, at: datetime) -> History:
    return (*state.history, (name, at))


def _admissible(state: Dossier, _: ApplicationDeclaredAdmissible, at: datetime) -> Dossier:
    return replace(state, complete_on=at.date(), history=_step(state, TimelineStep.ADMISSIBLE, at))


def _requested(state: Dossier, _: SupplementaryDocumentsRequested, at: datetime) -> Dossier:
    return replace(
        state,
        suspensions=(*state.suspensions, (at.date(), None)),
        history=_step(state, TimelineStep.DOCUMENTS_REQUESTED, at),
    )


def _supplied(state: Dossier, _: SupplementaryDocumentsSupplied, at: datetime) -> Dossier:
    if not state.suspensions or state.suspensions[-1][1] is not None:
        return state  # nothing was awaited
    began = state.suspensions[-1][0]
    return replace(
        state,
        suspensions=(*state.suspensions[:-1], (began, at.date())),
        history=_step(state, TimelineStep.DOCUMENTS_SUPPLIED, at),
    )


def _work_authorised(state: Dossier, event: WorkAuthorised, at: datetime) -> Dossier:
    return replace(
        state,
        status=Status.AWAITING_RESIDENCE_DECISION,
        work_valid_from=event.valid_from,
        work_valid_until=event.valid_until,
        work_authorised_at=at,
        history=_step(state, TimelineStep.WORK_AUTHORISED, at),
    )


Evolver = Callable[[Dossier, Any, datetime], Dossier]


def _moved(status: Status | None, step: TimelineStep) -> Evolver:
    """An event that moves the dossier to ``status`` (None: stays) and names ``step``."""

    def apply(state: Dossier, _: DomainEvent, at: datetime) -> Dossier:
        return replace(state, status=status or state.status, history=_step(state, step, at))

    return apply


def _refused(state: Dossier, event: NegativeDecisionTaken, at: datetime) -> Dossier:
    step = TimelineStep.refused(event.step)  # the region's or the Office's
    return replace(state, status=Status.REFUSED, history=_step(state, step, at))


def _withdrawn(state: Dossier, event: AuthorisationWithdrawn, at: datetime) -> Dossier:
    step = TimelineStep.withdrawn(event.step)
    return replace(state, status=Status.WITHDRAWN, history=_step(state, step, at))


_EVOLVE: dict[type[DomainEvent], Evolver] = {
    ApplicationDeclaredAdmissible: _admissible,
    SupplementaryDocumentsRequested: _requested,
    SupplementaryDocumentsSupplied: _supplied,
    WorkAuthorised: _work_authorised,
    ResidenceAuthorised: _moved(None, TimelineStep.RESIDENCE_AUTHORISED),
    SinglePermitGranted: _moved(Status.GRANTED, TimelineStep.SINGLE_PERMIT_GRANTED),
    NegativeDecisionTaken: _refused,
    AuthorisationWithdrawn: _withdrawn,
    StayEnded: _moved(Status.STAY_ENDED, TimelineStep.STAY_ENDED),
}
