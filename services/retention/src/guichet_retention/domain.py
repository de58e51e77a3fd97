"""Retention's domain: who may record an appeal or its end, and when, decided on the
dossier's fold (``schedule``: its state, ``evolve`` and the deletion date of Art. 27).

A pending appeal holds the deletion of the dossier (Art. 27 §1 3°), so recording one, or
its end, decides when the dossier is deleted. Hence:

- an appeal is recorded by the authority that took the decision appealed against (the
  competent region for admissibility, work and professional card, the Immigration
  Office for residence: Art. 12 §1), or by a court registry (``COURT``);
- its end is recorded by whoever lodged it, or by a court registry;
- an appeal follows its decision, ends after it was lodged, and neither is recorded
  ahead of the day it happens (one day of tolerance for the registry's time zone);
- an erased dossier takes no appeal any more (Art. 27 §2: it is gone).

``decide(state, command, today=...)`` gives the events of a command, or raises why it is
refused; today's date is passed in (the service's clock). Pure: no I/O.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from guichet_contracts import AppealDecided, AppealLodged, DomainEvent
from guichet_contracts.retention import AppealRecorder
from guichet_contracts.vocabulary import CompetentAuthority, CourtRegistry, DecisionStep
from guichet_retention.schedule import DossierRetention, evolve

__all__ = [
    "AppealConflict",
    "AppealRefused",
    "DeletionHeld",
    "DossierErased",
    "DossierRetention",
    "EndAppeal",
    "ImplausibleDate",
    "LodgeAppeal",
    "NotPermitted",
    "UnknownAppeal",
    "UnknownDossier",
    "decide",
    "end",
    "evolve",
    "lodge",
]

COURT_REGISTRY = CourtRegistry.COURT_REGISTRY.value
TOLERANCE = timedelta(days=1)


class AppealRefused(Exception):
    """Why the appeal (or its end) is not recorded, in words the caller can act on."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnknownDossier(AppealRefused):
    """Retention has no such dossier."""


class DossierErased(AppealRefused):
    """The dossier was erased: nothing is recorded on it any more."""


class NotPermitted(AppealRefused):
    """The caller may not record this appeal or its end."""


class UnknownAppeal(AppealRefused):
    """The dossier has no appeal of that id."""


class AppealConflict(AppealRefused):
    """The dossier's state does not allow it (already lodged, already ended, no decision)."""


class ImplausibleDate(AppealRefused):
    """A date before the fact it follows, or ahead of today."""


class DeletionHeld(AppealConflict):
    """A pending appeal holds the dossier: it is not erased (Art. 27 §1 3°)."""


@dataclass(frozen=True)
class LodgeAppeal:
    appeal_id: str
    step: str
    lodged_on: date
    by: str  # the caller's authority


@dataclass(frozen=True)
class EndAppeal:
    appeal_id: str
    decided_on: date
    by: str


def lodge(state: DossierRetention, command: LodgeAppeal, *, today: date) -> AppealLodged:
    """The appeal lodged, or why it is refused."""
    _not_erased(state)
    step = DecisionStep(command.step).value
    decided = state.decisions.get(step)
    if command.by != COURT_REGISTRY and (decided is None or decided.by != command.by):
        lag = (
            " (a decision taken a moment ago may still be on its way to retention: "
            "retry in a few seconds)"
            if decided is None
            else ""
        )
        raise NotPermitted(
            f"an appeal against the {step} decision of this dossier is recorded by the "
            "authority that decided it, or by a court registry; retention knows no "
            f"{step} decision of your authority on it{lag}"
        )
    if decided is None:
        raise AppealConflict(
            f"no {step} decision was taken on this dossier: an appeal lies "
            "only against a decision taken"
        )
    if command.appeal_id in state.appeals:
        raise AppealConflict(
            "this dossier already has an appeal of that id: end it, or "
            "record a new appeal under its own id"
        )
    if command.lodged_on < decided.on:
        raise ImplausibleDate(
            f"lodged_on is before the {step} decision this appeal is "
            f"against ({decided.on.isoformat()})"
        )
    _not_ahead("lodged_on", command.lodged_on, today)
    return AppealLodged(
        application_id=uuid.UUID(state.dossier_id),
        appeal_id=command.appeal_id,
        step=DecisionStep(step),
        recorded_by=_recorder(command.by),
        lodged_on=command.lodged_on,
    )


def end(state: DossierRetention, command: EndAppeal, *, today: date) -> AppealDecided:
    """The end of the appeal, or why it is refused."""
    _not_erased(state)
    appeal = state.appeals.get(command.appeal_id)
    if appeal is None:
        raise UnknownAppeal("this dossier has no appeal of that id")
    if command.by not in (COURT_REGISTRY, appeal.lodged_by):
        raise NotPermitted(
            "the end of an appeal is recorded by the authority that lodged it, "
            "or by a court registry"
        )
    if appeal.ended_on is not None:
        raise AppealConflict(f"this appeal already ended ({appeal.ended_on.isoformat()})")
    if appeal.lodged_on is not None and command.decided_on < appeal.lodged_on:
        raise ImplausibleDate(
            f"decided_on is before the appeal was lodged ({appeal.lodged_on.isoformat()})"
        )
    _not_ahead("decided_on", command.decided_on, today)
    return AppealDecided(
        application_id=uuid.UUID(state.dossier_id),
        appeal_id=command.appeal_id,
        recorded_by=_recorder(command.by),
        decided_on=command.decided_on,
    )


def _not_erased(state: DossierRetention) -> None:
    if state.purged_on is not None:
        raise DossierErased(
            f"this dossier was erased on {state.purged_on.isoformat()} "
            "(Art. 27 §2): nothing more is recorded on it"
        )


def _not_ahead(name: str, day: date, today: date) -> None:
    if day > today + TOLERANCE:
        raise ImplausibleDate(
            f"{name} is in the future (today is {today.isoformat()}): "
            "record it once it has happened"
        )


def _recorder(authority: str) -> AppealRecorder:
    if authority == COURT_REGISTRY:
        return CourtRegistry.COURT_REGISTRY
    return CompetentAuthority(authority)


def decide(
    state: DossierRetention, command: LodgeAppeal | EndAppeal, *, today: date
) -> list[DomainEvent]:
    """The events of ``command`` on the dossier, or the ``AppealRefused`` that says why not."""
    if isinstance(command, LodgeAppeal):
        return [lodge(state, command, today=today)]
    return [end(state, command, today=today)]
