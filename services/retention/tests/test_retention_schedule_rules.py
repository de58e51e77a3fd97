"""Art. 27 §1, the rules ``test_retention_schedule`` leaves out: the professional card,
the end of stay, the floor of §1 3° and the calendar's edges.

Given a dossier's events, then its deletion date and the rule that sets it. Pure.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from guichet_contracts import (
    AppealDecided,
    AppealLodged,
    ApplicationFiled,
    DomainEvent,
    NegativeDecisionTaken,
    ProfessionalCardGranted,
    StayEnded,
)
from guichet_contracts.vocabulary import (
    ApplicantCategory,
    ApplicationKind,
    CompetentAuthority,
    DecisionStep,
    FilerRole,
)
from guichet_retention.schedule import DossierRetention, deletion, evolve, years_after

CASE = uuid.UUID(int=27)


def on(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def application(day: date, kind: ApplicationKind = ApplicationKind.SINGLE_PERMIT) -> DomainEvent:
    return ApplicationFiled(
        application_id=CASE,
        kind=kind,
        category=ApplicantCategory.GENERAL,
        competent_authority=CompetentAuthority.WALLONIA,
        workplace_postcode="5000",
        filed_by=FilerRole.WORKER,
        filed_at=on(day),
    )


def kept(*events: DomainEvent) -> tuple[date | None, str | None]:
    state = DossierRetention(str(CASE))
    for event in events:
        state = evolve(state, event)
    verdict = deletion(state)
    return verdict.due_on, verdict.rule


def test_art_27_1_1_a_granted_professional_card_is_kept_ten_years_from_filing() -> None:
    card = ProfessionalCardGranted(
        application_id=CASE,
        authority=CompetentAuthority.WALLONIA,
        valid_from=date(2027, 3, 1),
        valid_until=date(2030, 3, 1),
        decided_at=on(date(2027, 2, 1)),
    )
    filed = application(date(2027, 1, 4), ApplicationKind.PROFESSIONAL_CARD)
    assert kept(filed, card) == (date(2037, 1, 4), "granted_10_years")


def test_art_27_1_2_an_ended_stay_is_kept_five_years_from_its_end() -> None:
    ended = StayEnded(application_id=CASE, ended_at=on(date(2030, 6, 15)))
    assert kept(application(date(2027, 1, 4)), ended) == (date(2035, 6, 15), "negative_5_years")


def test_art_27_1_3_a_late_appeal_keeps_the_dossier_a_year_past_the_appeal_period() -> None:
    # Refused in 2027, appeal decided in 2033: five years from the refusal (2032) would
    # delete it while appeals may still lie, so the date is the end of the appeal + 60
    # days (the Council of State's period) + one year.
    refusal = NegativeDecisionTaken(
        application_id=CASE,
        step=DecisionStep.WORK,
        authority=CompetentAuthority.WALLONIA,
        decided_at=on(date(2027, 3, 1)),
    )
    lodged = AppealLodged(
        application_id=CASE,
        appeal_id="rvs-1",
        step=DecisionStep.WORK,
        lodged_on=date(2027, 4, 1),
        recorded_by="COURT",
    )
    ended = AppealDecided(
        application_id=CASE, appeal_id="rvs-1", decided_on=date(2033, 1, 10), recorded_by="COURT"
    )
    due, rule = kept(application(date(2027, 1, 4)), refusal, lodged, ended)
    assert (due, rule) == (date(2034, 3, 11), "negative_5_years")


def test_a_29_february_plus_some_years_is_the_28th_when_that_year_has_none() -> None:
    assert years_after(date(2028, 2, 29), 5) == date(2033, 2, 28)
    assert years_after(date(2028, 2, 29), 4) == date(2032, 2, 29)


def test_a_date_past_the_calendar_is_its_last_day_never_an_overflow() -> None:
    assert years_after(date(9995, 1, 1), 10) == date.max
