"""The Immigration Office's part of a single permit (Art. 12 §1, Art. 18, Art. 24).

Office des étrangers / Dienst Vreemdelingenzaken. The procedure is chronological: the
Office examines residence only once the competent region authorised the work; when
both are granted, ONE administrative act carries both (SinglePermitGranted). Work
authorisations and professional cards alone never reach this service. A command
yields new events or is refused with a reason (``decide``); the dossier is the fold of
its stream (``state.evolve``). No I/O here: the clock and the sealed reasons are given.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from guichet_contracts import (
    AuthorisationWithdrawn,
    DomainEvent,
    EventRegistry,
    NegativeDecisionTaken,
    ResidenceAuthorised,
    SealedData,
    SinglePermitGranted,
    StayEnded,
)
from guichet_contracts.vocabulary import ApplicationKind, CompetentAuthority, DecisionStep
from guichet_core import dossier_rules
from guichet_residence_decision.state import Dossier, Status, evolve

__all__ = [
    "PRIVATE",
    "AuthoriseResidence",
    "Command",
    "Dossier",
    "EndStay",
    "Reasoned",
    "RefuseResidence",
    "Refused",
    "ResidenceDecisionReasonRecorded",
    "Status",
    "WithdrawPermit",
    "act_number",
    "decide",
    "evolve",
]

OFFICE = CompetentAuthority.IMMIGRATION_OFFICE
PRIVATE = EventRegistry()


@PRIVATE.register
class ResidenceDecisionReasonRecorded(DomainEvent):
    """The reasons of the Office's negative decision: kept here only (Art. 24)."""

    event_type: ClassVar[str] = "be.guichet.residence.decision-reason.v1"
    schema_version: ClassVar[int] = 1

    step: DecisionStep
    reason: SealedData


class Refused(dossier_rules.DecisionRefused):
    """The decision cannot apply to the dossier as it stands (HTTP 409)."""


# What the Office can ask of a dossier. Only the Office calls these routes: its token is
# the whole competence check (Art. 12 §1; the Office is competent for every dossier).


Command = dossier_rules.DossierCommand
Reasoned = dossier_rules.ReasonedCommand


@dataclass(frozen=True, kw_only=True)
class AuthoriseResidence(Command):
    """Residence authorised: with the work authorisation, the single permit."""

    valid_from: date
    valid_until: date


@dataclass(frozen=True, kw_only=True)
class RefuseResidence(Reasoned):
    pass


@dataclass(frozen=True, kw_only=True)
class WithdrawPermit(Reasoned):
    """Art. 18: withdraw a granted single permit."""


@dataclass(frozen=True, kw_only=True)
class EndStay(Reasoned):
    """Art. 18: end the stay of a single-permit holder."""


def act_number(application_id: uuid.UUID) -> str:
    """The number of the single administrative act (Art. 2 §1 1° a)), from the dossier."""
    return f"SP-{application_id.hex[:12].upper()}"


def decide(
    state: Dossier, command: Command, *, sealed: SealedData | None = None
) -> list[DomainEvent]:
    """The events of ``command`` on the dossier; a negative decision's reasons come
    ``sealed`` (the handler seals them once the dossier is found)."""
    match command:
        case AuthoriseResidence():
            return _authorise_residence(state, command)
        case RefuseResidence():
            _expect(state, Status.AWAITING_RESIDENCE_DECISION, doing="refuse residence")
            return [_reasons(state, sealed), _negative(state, command)]
        case WithdrawPermit():
            _expect(state, Status.GRANTED, doing="withdraw the single permit")
            return [_reasons(state, sealed), _withdrawn(state, command)]
        case EndStay():
            _expect(state, Status.GRANTED, doing="end the stay")
            ended = StayEnded(application_id=state.application_id, ended_at=command.now)
            return [_reasons(state, sealed), ended]
    raise TypeError(f"the Office does not decide {type(command).__name__}")


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


def _authorise_residence(state: Dossier, command: AuthoriseResidence) -> list[DomainEvent]:
    _expect(state, Status.AWAITING_RESIDENCE_DECISION, doing="authorise residence")
    if command.valid_until <= command.valid_from:
        raise Refused("the validity must end after it starts")
    # The single permit lasts no longer than the work authorisation it carries.
    permit_until = min(command.valid_until, state.work_valid_until or command.valid_until)
    return [
        ResidenceAuthorised(
            application_id=state.application_id,
            valid_from=command.valid_from,
            valid_until=command.valid_until,
            decided_at=command.now,
        ),
        SinglePermitGranted(
            application_id=state.application_id,
            act_number=act_number(state.application_id),
            valid_from=command.valid_from,
            valid_until=permit_until,
            granted_at=command.now,
        ),
    ]


def _reasons(state: Dossier, sealed: SealedData | None) -> ResidenceDecisionReasonRecorded:
    """The reasons of a negative decision, kept (sealed) by the Office alone (Art. 24)."""
    if sealed is None:
        raise dossier_rules.ReasonsMissing("a negative decision keeps its reasons (Art. 24)")
    return ResidenceDecisionReasonRecorded(
        application_id=state.application_id, step=DecisionStep.RESIDENCE, reason=sealed
    )


def _negative(state: Dossier, command: RefuseResidence) -> NegativeDecisionTaken:
    return NegativeDecisionTaken(
        application_id=state.application_id,
        step=DecisionStep.RESIDENCE,
        authority=OFFICE,
        decided_at=command.now,
    )


def _withdrawn(state: Dossier, command: WithdrawPermit) -> AuthorisationWithdrawn:
    return AuthorisationWithdrawn(
        application_id=state.application_id,
        step=DecisionStep.RESIDENCE,
        authority=OFFICE,
        withdrawn_at=command.now,
    )
