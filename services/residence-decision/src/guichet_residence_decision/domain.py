"""The Immigration Office's part of a single permit (Art. 12 §1, Art. 18, Art. 24).

Office des étrangers / Dienst Vreemdelingenzaken. The procedure is chronological: the
Office examines residence only once the competent region authorised the work; when
both are granted, ONE administrative act carries both (SinglePermitGranted). Work
authorisations and professional cards alone never reach this service. No I/O here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
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
    ResidenceAuthorised,
    SealedData,
    SinglePermitGranted,
    StayEnded,
    SupplementaryDocumentsRequested,
    SupplementaryDocumentsSupplied,
    WorkAuthorised,
)
from guichet_contracts.vocabulary import ApplicationKind, CompetentAuthority, DecisionStep

PRIVATE = EventRegistry()


@PRIVATE.register
class ResidenceDecisionReasonRecorded(DomainEvent):
    """The reasons of the Office's negative decision: kept here only (Art. 24)."""

    event_type: ClassVar[str] = "be.guichet.residence.decision-reason.v1"
    schema_version: ClassVar[int] = 1

    step: DecisionStep
    reason: SealedData


class Status(StrEnum):
    AWAITING_WORK_DECISION = "awaiting_work_decision"
    AWAITING_RESIDENCE_DECISION = "awaiting_residence_decision"
    GRANTED = "granted"
    REFUSED = "refused"  # by the region or by the Office
    WITHDRAWN = "withdrawn"
    STAY_ENDED = "stay_ended"


class Refused(Exception):
    """The decision cannot apply to the dossier as it stands (HTTP 409)."""


@dataclass(frozen=True)
class Dossier:
    application_id: uuid.UUID
    kind: ApplicationKind
    status: Status = Status.AWAITING_WORK_DECISION
    version: int = 0
    work_valid_from: date | None = None
    work_valid_until: date | None = None
    work_authorised_at: datetime | None = None
    # The 90-day clock of Directive (EU) 2024/1233 covers the whole single-permit
    # procedure: it runs from the region's admissibility, suspended for documents.
    complete_on: date | None = None
    suspensions: tuple[tuple[date, date | None], ...] = ()
    history: tuple[tuple[str, datetime], ...] = ()


def evolve(state: Dossier | None, event: DomainEvent, *, at: datetime) -> Dossier:
    if isinstance(event, ApplicationFiled):
        return Dossier(event.application_id, event.kind, history=(("filed", event.filed_at),))
    assert state is not None, f"{type(event).__name__} before the application was filed"
    history = (*state.history, (type(event).__name__, at))
    match event:
        case ApplicationDeclaredAdmissible():
            return replace(state, complete_on=at.date(), history=history)
        case SupplementaryDocumentsRequested():
            return replace(
                state, suspensions=(*state.suspensions, (at.date(), None)), history=history
            )
        case SupplementaryDocumentsSupplied():
            if not state.suspensions or state.suspensions[-1][1] is not None:
                return state
            began = state.suspensions[-1][0]
            return replace(
                state, suspensions=(*state.suspensions[:-1], (began, at.date())), history=history
            )
        case WorkAuthorised():
            return replace(
                state,
                status=Status.AWAITING_RESIDENCE_DECISION,
                work_valid_from=event.valid_from,
                work_valid_until=event.valid_until,
                work_authorised_at=at,
                history=history,
            )
        case ResidenceAuthorised():
            return replace(state, history=history)
        case SinglePermitGranted():
            return replace(state, status=Status.GRANTED, history=history)
        case NegativeDecisionTaken():
            return replace(state, status=Status.REFUSED, history=history)
        case AuthorisationWithdrawn():
            return replace(state, status=Status.WITHDRAWN, history=history)
        case StayEnded():
            return replace(state, status=Status.STAY_ENDED, history=history)
    return state


def _expect(state: Dossier, *allowed: Status, doing: str) -> None:
    if state.kind is not ApplicationKind.SINGLE_PERMIT:
        raise Refused(f"a {state.kind.value} has no residence part: the Office does not decide it")
    if state.status not in allowed:
        if state.status is Status.AWAITING_WORK_DECISION:
            raise Refused(
                f"cannot {doing}: the region has not authorised the work yet; "
                "residence is examined once work is authorised"
            )
        raise Refused(f"cannot {doing}: the dossier is {state.status.value}")


def authorise_residence(
    state: Dossier, valid_from: date, valid_until: date, now: datetime, act_number: str
) -> list[DomainEvent]:
    """Residence authorised: together with the work authorisation, the single permit."""
    _expect(state, Status.AWAITING_RESIDENCE_DECISION, doing="authorise residence")
    if valid_until <= valid_from:
        raise Refused("the validity must end after it starts")
    permit_until = min(valid_until, state.work_valid_until or valid_until)
    return [
        ResidenceAuthorised(
            application_id=state.application_id,
            valid_from=valid_from,
            valid_until=valid_until,
            decided_at=now,
        ),
        SinglePermitGranted(
            application_id=state.application_id,
            act_number=act_number,
            valid_from=valid_from,
            valid_until=permit_until,
            granted_at=now,
        ),
    ]


def _reasons(state: Dossier, reason: SealedData) -> ResidenceDecisionReasonRecorded:
    """The reasons of a negative decision, kept (sealed) by the Office alone (Art. 24)."""
    return ResidenceDecisionReasonRecorded(
        application_id=state.application_id, step=DecisionStep.RESIDENCE, reason=reason
    )


def refuse_residence(state: Dossier, reason: SealedData, now: datetime) -> list[DomainEvent]:
    _expect(state, Status.AWAITING_RESIDENCE_DECISION, doing="refuse residence")
    return [
        _reasons(state, reason),
        NegativeDecisionTaken(
            application_id=state.application_id,
            step=DecisionStep.RESIDENCE,
            authority=CompetentAuthority.IMMIGRATION_OFFICE,
            decided_at=now,
        ),
    ]


def withdraw_permit(state: Dossier, reason: SealedData, now: datetime) -> list[DomainEvent]:
    _expect(state, Status.GRANTED, doing="withdraw the single permit")
    return [
        _reasons(state, reason),
        AuthorisationWithdrawn(
            application_id=state.application_id,
            step=DecisionStep.RESIDENCE,
            authority=CompetentAuthority.IMMIGRATION_OFFICE,
            withdrawn_at=now,
        ),
    ]


def end_stay(state: Dossier, reason: SealedData, now: datetime) -> list[DomainEvent]:
    _expect(state, Status.GRANTED, doing="end the stay")
    return [
        _reasons(state, reason),
        StayEnded(application_id=state.application_id, ended_at=now),
    ]
