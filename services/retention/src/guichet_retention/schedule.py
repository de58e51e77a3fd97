"""When a dossier is deleted (Art. 27): a pure fold of the dossier's events.

Art. 27 §1: a dossier is kept
1. 10 years from filing when residence and work were granted;
2. 5 years from the notification of a refusal, an end or a withdrawal;
3. in any case until one year after the prescription of all actions and the definitive
   end of the administrative procedures and appeals — a pending appeal holds deletion.
Art. 27 §2: at expiry it is deleted automatically.

The period of 3. is counted from the last decision or the end of the last appeal, plus
the time left to appeal (``appeal_days``: 60 days, the Council of State's period, the
longest ordinary one against these decisions) and one year. A later event that changes
the rule (a granted permit later withdrawn) moves the date. A date past the calendar's
end is the calendar's last day (``date.max``), never an overflow.

The fold also keeps who decided each step and who lodged each appeal: only they, or a
court registry, may record an appeal or its end (``domain``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from guichet_contracts import (
    AppealDecided,
    AppealLodged,
    ApplicationDeclaredAdmissible,
    ApplicationFiled,
    AuthorisationWithdrawn,
    DomainEvent,
    DossierPurged,
    NegativeDecisionTaken,
    ProfessionalCardGranted,
    ResidenceAuthorised,
    SinglePermitGranted,
    StayEnded,
    WorkAuthorised,
)
from guichet_contracts.vocabulary import ApplicationKind, CompetentAuthority, DecisionStep

GRANTED_YEARS = 10
NEGATIVE_YEARS = 5


def years_after(day: date, years: int) -> date:
    """The same day ``years`` later; the calendar's last day if that is past its end."""
    if day.year + years > date.max.year:
        return date.max
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year + years, day=28)


def days_after(day: date, days: int) -> date:
    """``days`` later; the calendar's last day if that is past its end."""
    return day + timedelta(days=days) if (date.max - day).days > days else date.max


@dataclass(frozen=True)
class RetentionRules:
    appeal_days: int = 60
    grace_years: int = 1


@dataclass(frozen=True)
class StepDecided:
    """Who decided a step of the dossier, and since when an appeal against it may lie."""

    by: str  # the authority of the latest decision on the step (VLG, WAL, BXL, DG, OE)
    on: date  # the day of the first decision on the step


@dataclass(frozen=True)
class AppealRecord:
    """An appeal as retention knows it. A store that folded it before retention kept who
    lodged it (replayed since by ``guichet retention replay``) knows only its end."""

    step: str | None = None
    lodged_by: str | None = None  # an authority, or COURT for a court registry
    lodged_on: date | None = None
    ended_on: date | None = None


@dataclass(frozen=True)
class DossierRetention:
    dossier_id: str
    kind: str | None = None
    filed_on: date | None = None
    granted_on: date | None = None
    # A work authorisation is the whole grant only of a work-authorisation application;
    # kept apart because it may be read before the filing that says the kind.
    work_authorised_on: date | None = None
    negative_on: date | None = None  # the latest refusal, withdrawal or end of stay
    last_procedure_on: date | None = None
    purged_on: date | None = None
    decisions: Mapping[str, StepDecided] = field(default_factory=dict)  # by step
    appeals: Mapping[str, AppealRecord] = field(default_factory=dict)  # by appeal id

    @property
    def open_appeals(self) -> frozenset[str]:
        """The appeals lodged and not ended: each holds the deletion (Art. 27 §1 3°)."""
        return frozenset(k for k, appeal in self.appeals.items() if appeal.ended_on is None)


@dataclass(frozen=True)
class Deletion:
    due_on: date | None
    rule: str | None  # granted_10_years | negative_5_years
    why: str
    held_by_appeal: bool = False


def _day(moment: datetime | date) -> date:
    return moment.date() if isinstance(moment, datetime) else moment


# Art. 12 §1: the Immigration Office decides residence; its events name no authority.
_OFFICE = CompetentAuthority.IMMIGRATION_OFFICE.value


def _decider(event: DomainEvent) -> tuple[str, str, date] | None:
    """The step a decision event decides, who decided it and when; else None."""
    match event:
        case ApplicationDeclaredAdmissible():
            return DecisionStep.ADMISSIBILITY, event.authority, _day(event.decided_at)
        case WorkAuthorised():
            return DecisionStep.WORK, event.authority, _day(event.decided_at)
        case ProfessionalCardGranted():
            return DecisionStep.PROFESSIONAL_CARD, event.authority, _day(event.decided_at)
        case NegativeDecisionTaken():
            return event.step, event.authority, _day(event.decided_at)
        case AuthorisationWithdrawn():
            return event.step, event.authority, _day(event.withdrawn_at)
        case ResidenceAuthorised():
            return DecisionStep.RESIDENCE, _OFFICE, _day(event.decided_at)
        case StayEnded():
            return DecisionStep.RESIDENCE, _OFFICE, _day(event.ended_at)
    return None


def _with_decider(state: DossierRetention, event: DomainEvent) -> DossierRetention:
    found = _decider(event)
    if found is None:
        return state
    step, by, day = (str(found[0]), str(found[1]), found[2])
    earlier = state.decisions.get(step)
    on = min(day, earlier.on) if earlier else day
    return replace(state, decisions={**state.decisions, step: StepDecided(by, on)})


def evolve(state: DossierRetention, event: DomainEvent) -> DossierRetention:
    return _evolve(_with_decider(state, event), event)


def _evolve(state: DossierRetention, event: DomainEvent) -> DossierRetention:
    def procedure(day: date) -> date:
        return max(day, state.last_procedure_on) if state.last_procedure_on else day

    match event:
        case ApplicationFiled():
            return replace(
                state,
                kind=event.kind.value,
                filed_on=_day(event.filed_at),
                last_procedure_on=procedure(_day(event.filed_at)),
            )
        case SinglePermitGranted():
            day = _day(event.granted_at)
            return replace(state, granted_on=day, last_procedure_on=procedure(day))
        case WorkAuthorised():
            return replace(state, work_authorised_on=_day(event.decided_at))
        case ProfessionalCardGranted():
            day = _day(event.decided_at)
            return replace(state, granted_on=day, last_procedure_on=procedure(day))
        case NegativeDecisionTaken() | AuthorisationWithdrawn() | StayEnded():
            moment = (
                event.decided_at
                if isinstance(event, NegativeDecisionTaken)
                else event.withdrawn_at
                if isinstance(event, AuthorisationWithdrawn)
                else event.ended_at
            )
            day = _day(moment)
            latest = max(day, state.negative_on) if state.negative_on else day
            return replace(state, negative_on=latest, last_procedure_on=procedure(day))
        case AppealLodged():
            lodged = AppealRecord(event.step, event.recorded_by, event.lodged_on)
            return replace(
                state,
                appeals={**state.appeals, event.appeal_id: lodged},
                last_procedure_on=procedure(event.lodged_on),
            )
        case AppealDecided():
            ended = replace(
                state.appeals.get(event.appeal_id, AppealRecord()), ended_on=event.decided_on
            )
            return replace(
                state,
                appeals={**state.appeals, event.appeal_id: ended},
                last_procedure_on=procedure(event.decided_on),
            )
        case DossierPurged():
            return replace(state, purged_on=_day(event.purged_at))
    return state


def _settled(state: DossierRetention) -> DossierRetention:
    """The state with a work authorisation counted as the grant where it is one: the
    fold stays the same whatever order the topics' events were read in."""
    day = state.work_authorised_on
    if day is None or state.kind != ApplicationKind.WORK_AUTHORISATION.value:
        return state
    last = max(day, state.last_procedure_on) if state.last_procedure_on else day
    return replace(state, granted_on=state.granted_on or day, last_procedure_on=last)


def deletion(state: DossierRetention, rules: RetentionRules = RetentionRules()) -> Deletion:
    state = _settled(state)
    if state.open_appeals:
        return Deletion(
            None,
            None,
            "an appeal is pending: deletion waits for its end (Art. 27 §1 3°)",
            held_by_appeal=True,
        )
    if state.negative_on is not None:
        base, rule = years_after(state.negative_on, NEGATIVE_YEARS), "negative_5_years"
        why = "5 years from the refusal, end or withdrawal (Art. 27 §1 2°)"
    elif state.granted_on is not None and state.filed_on is not None:
        base, rule = years_after(state.filed_on, GRANTED_YEARS), "granted_10_years"
        why = "10 years from filing, work and residence granted (Art. 27 §1 1°)"
    else:
        return Deletion(None, None, "the procedure is still open: no retention period runs")
    if state.last_procedure_on is not None:
        floor = years_after(
            days_after(state.last_procedure_on, rules.appeal_days), rules.grace_years
        )
        if floor > base:
            return Deletion(
                floor,
                rule,
                "one year after the end of the procedures and "
                "appeals (Art. 27 §1 3°), later than " + why,
            )
    return Deletion(base, rule, why)
