"""Who may record an appeal and its end, and when, as a specification.

Art. 27 §1 3° of the agreement: a dossier is kept until one year after the definitive end
of the administrative procedures and appeals, so a pending appeal holds its deletion.
Whoever records an appeal, or its end, therefore decides when a dossier is deleted: only
the authority that took the decision appealed against (Art. 12 §1: the competent region
for admissibility, work and professional card; the Immigration Office for residence) or a
court registry may; the appeal's end is recorded by whoever lodged it or by the registry.

Given the dossier's events, when a command, then an event or a refusal.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from functools import reduce

import pytest

from guichet_contracts import (
    AppealDecided,
    AppealLodged,
    ApplicationDeclaredAdmissible,
    ApplicationFiled,
    DomainEvent,
    DossierPurged,
    NegativeDecisionTaken,
    ResidenceAuthorised,
)
from guichet_retention.domain import (
    COURT_REGISTRY,
    AppealConflict,
    DossierErased,
    EndAppeal,
    ImplausibleDate,
    LodgeAppeal,
    NotPermitted,
    UnknownAppeal,
    end,
    lodge,
)
from guichet_retention.schedule import DossierRetention, deletion, evolve, years_after
from guichet_retention.store import load

DOSSIER = uuid.uuid4()
TODAY = date(2026, 12, 3)


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


def filed() -> ApplicationFiled:
    return ApplicationFiled(
        application_id=DOSSIER,
        kind="single_permit",
        category="general",
        competent_authority="VLG",
        workplace_postcode="2000",
        filed_by="employer",
        filed_at=at("2026-09-01"),
    )


def admissible(day: str = "2026-09-10") -> ApplicationDeclaredAdmissible:
    return ApplicationDeclaredAdmissible(
        application_id=DOSSIER, authority="VLG", decided_at=at(day)
    )


def work_refused(day: str = "2026-10-01") -> NegativeDecisionTaken:
    return NegativeDecisionTaken(
        application_id=DOSSIER, step="work", authority="VLG", decided_at=at(day)
    )


def given(*events: DomainEvent) -> DossierRetention:
    return reduce(evolve, events, DossierRetention(str(DOSSIER)))


def lodged(
    appeal_id: str = "RvV-1", *, by: str = "VLG", on: date = TODAY, step: str = "work"
) -> AppealLodged:
    return AppealLodged(
        application_id=DOSSIER, appeal_id=appeal_id, step=step, recorded_by=by, lodged_on=on
    )


def refused_dossier() -> DossierRetention:
    return given(filed(), admissible(), work_refused())


# Who may lodge: the authority whose decision is appealed against, or a court registry


def test_the_region_that_refused_the_work_lodges_the_appeal_against_it() -> None:
    event = lodge(refused_dossier(), LodgeAppeal("RvV-1", "work", TODAY, by="VLG"), today=TODAY)
    assert event == lodged("RvV-1", by="VLG")


def test_another_region_may_not_lodge_an_appeal_on_the_dossier() -> None:
    with pytest.raises(NotPermitted, match="authority that decided"):
        lodge(refused_dossier(), LodgeAppeal("RvV-1", "work", TODAY, by="WAL"), today=TODAY)


def test_the_immigration_office_may_not_lodge_against_a_regional_decision() -> None:
    # Art. 12 §1: the work part is the region's; the Office decides residence only
    with pytest.raises(NotPermitted):
        lodge(refused_dossier(), LodgeAppeal("RvV-1", "work", TODAY, by="OE"), today=TODAY)


def test_the_immigration_office_lodges_against_its_own_residence_decision() -> None:
    office = ResidenceAuthorised(
        application_id=DOSSIER,
        valid_from=date(2026, 11, 1),
        valid_until=date(2027, 11, 1),
        decided_at=at("2026-10-20"),
    )
    state = given(filed(), admissible(), office)
    event = lodge(state, LodgeAppeal("CCE-9", "residence", TODAY, by="OE"), today=TODAY)
    assert event.recorded_by == "OE" and event.step == "residence"


def test_no_authority_lodges_against_a_step_it_did_not_decide() -> None:
    with pytest.raises(NotPermitted):
        lodge(given(filed()), LodgeAppeal("RvV-1", "work", TODAY, by="VLG"), today=TODAY)


def test_a_court_registry_lodges_an_appeal_against_any_decision() -> None:
    command = LodgeAppeal("RvV-1", "work", TODAY, by=COURT_REGISTRY)
    assert lodge(refused_dossier(), command, today=TODAY).recorded_by == "COURT"


def test_a_court_registry_cannot_lodge_against_a_decision_not_taken() -> None:
    with pytest.raises(AppealConflict, match="no residence decision"):
        lodge(
            refused_dossier(),
            LodgeAppeal("CCE-1", "residence", TODAY, by=COURT_REGISTRY),
            today=TODAY,
        )


def test_the_same_appeal_is_not_lodged_twice() -> None:
    state = given(filed(), admissible(), work_refused(), lodged("RvV-1"))
    with pytest.raises(AppealConflict, match="already"):
        lodge(state, LodgeAppeal("RvV-1", "work", TODAY, by="VLG"), today=TODAY)


def test_an_appeal_on_an_erased_dossier_is_refused() -> None:
    purged = DossierPurged(
        application_id=DOSSIER, rule="erasure_request", due_on=TODAY, purged_at=at("2026-11-30")
    )
    with pytest.raises(DossierErased):
        lodge(
            given(filed(), admissible(), work_refused(), purged),
            LodgeAppeal("RvV-1", "work", TODAY, by="VLG"),
            today=TODAY,
        )


# Dates: an appeal follows its decision and is recorded once it happened


def test_an_appeal_lodged_before_the_decision_it_is_against_is_implausible() -> None:
    with pytest.raises(ImplausibleDate, match="before the work decision"):
        lodge(
            refused_dossier(),
            LodgeAppeal("RvV-1", "work", date(2026, 9, 30), by="VLG"),
            today=TODAY,
        )


def test_an_appeal_lodged_on_the_day_of_the_decision_is_plausible() -> None:
    command = LodgeAppeal("RvV-1", "work", date(2026, 10, 1), by="VLG")
    assert lodge(refused_dossier(), command, today=TODAY).lodged_on == date(2026, 10, 1)


def test_an_appeal_lodged_tomorrow_is_tolerated_the_day_after_is_not() -> None:
    # one day of tolerance: the registry's day may be ahead of ours across time zones
    tomorrow = LodgeAppeal("RvV-1", "work", TODAY + timedelta(days=1), by="VLG")
    assert lodge(refused_dossier(), tomorrow, today=TODAY)
    with pytest.raises(ImplausibleDate, match="future"):
        lodge(
            refused_dossier(),
            LodgeAppeal("RvV-1", "work", TODAY + timedelta(days=2), by="VLG"),
            today=TODAY,
        )


def test_an_appeal_lodged_in_the_year_9990_is_implausible() -> None:
    with pytest.raises(ImplausibleDate):
        lodge(
            refused_dossier(), LodgeAppeal("RvV-1", "work", date(9990, 1, 1), by="VLG"), today=TODAY
        )


# The end of an appeal: by whoever lodged it, or by a court registry


def appealed(by: str = "WAL") -> DossierRetention:
    refusal = NegativeDecisionTaken(
        application_id=DOSSIER, step="admissibility", authority="WAL", decided_at=at("2026-10-01")
    )
    wallonia = ApplicationFiled(
        application_id=DOSSIER,
        kind="single_permit",
        category="general",
        competent_authority="WAL",
        workplace_postcode="5000",
        filed_by="employer",
        filed_at=at("2026-09-01"),
    )
    return given(
        wallonia, refusal, lodged("CE-1", by=by, on=date(2026, 11, 2), step="admissibility")
    )


def test_the_authority_that_lodged_the_appeal_records_its_end() -> None:
    event = end(appealed("WAL"), EndAppeal("CE-1", TODAY, by="WAL"), today=TODAY)
    assert event == AppealDecided(
        application_id=DOSSIER, appeal_id="CE-1", recorded_by="WAL", decided_on=TODAY
    )


def test_another_authority_may_not_end_an_appeal_it_did_not_lodge() -> None:
    with pytest.raises(NotPermitted, match="lodged"):
        end(appealed("WAL"), EndAppeal("CE-1", TODAY, by="BXL"), today=TODAY)


def test_a_court_registry_records_the_end_of_an_appeal_a_region_lodged() -> None:
    event = end(appealed("WAL"), EndAppeal("CE-1", TODAY, by=COURT_REGISTRY), today=TODAY)
    assert event.recorded_by == "COURT"


def test_the_end_of_an_appeal_the_dossier_does_not_have_is_unknown() -> None:
    with pytest.raises(UnknownAppeal):
        end(appealed("WAL"), EndAppeal("CE-2", TODAY, by="WAL"), today=TODAY)


def test_an_appeal_ends_once() -> None:
    state = evolve(
        appealed("WAL"), end(appealed("WAL"), EndAppeal("CE-1", TODAY, by="WAL"), today=TODAY)
    )
    with pytest.raises(AppealConflict, match="already ended"):
        end(state, EndAppeal("CE-1", TODAY, by="WAL"), today=TODAY)


def test_an_appeal_does_not_end_before_it_was_lodged_nor_in_the_future() -> None:
    with pytest.raises(ImplausibleDate, match="before the appeal was lodged"):
        end(appealed("WAL"), EndAppeal("CE-1", date(2026, 11, 1), by="WAL"), today=TODAY)
    for far in (TODAY + timedelta(days=2), date(9999, 12, 31)):
        with pytest.raises(ImplausibleDate, match="future"):
            end(appealed("WAL"), EndAppeal("CE-1", far, by="WAL"), today=TODAY)


def test_an_appeal_recorded_before_retention_knew_who_lodged_it_is_ended_by_the_registry() -> None:
    """A store that folded appeals before it kept who lodged them knows only the id
    (``guichet retention replay`` teaches it the rest): only a registry may end it."""
    state = load(
        {"dossier_id": str(DOSSIER), "filed_on": "2026-09-01", "open_appeals": ["CE-1"]}
    )  # a row of the schedule as it was stored
    with pytest.raises(NotPermitted):
        end(state, EndAppeal("CE-1", TODAY, by="WAL"), today=TODAY)
    assert end(state, EndAppeal("CE-1", TODAY, by=COURT_REGISTRY), today=TODAY)


# The schedule: never an overflow, a pending appeal always holds


def test_years_after_the_last_representable_day_stays_on_it() -> None:
    assert years_after(date(9999, 12, 31), 5) == date.max
    assert years_after(date(9996, 2, 29), 5) == date.max


def test_an_absurd_date_already_in_the_log_gives_the_last_day_not_an_overflow() -> None:
    ended = AppealDecided(
        application_id=DOSSIER, appeal_id="CE-1", recorded_by="WAL", decided_on=date(9999, 12, 31)
    )
    rule = deletion(evolve(appealed("WAL"), ended))
    assert rule.due_on == date.max and not rule.held_by_appeal


def test_a_pending_appeal_holds_deletion_whoever_lodged_it() -> None:
    for by in ("WAL", COURT_REGISTRY):
        rule = deletion(appealed(by))
        assert rule.held_by_appeal and rule.due_on is None


# The fold learns who decided which step from the decision events it already reads


def test_the_fold_keeps_who_decided_each_step_and_since_when() -> None:
    from guichet_contracts import AuthorisationWithdrawn, StayEnded, WorkAuthorised

    work = WorkAuthorised(
        application_id=DOSSIER,
        authority="VLG",
        valid_from=date(2026, 11, 1),
        valid_until=date(2027, 11, 1),
        decided_at=at("2026-10-05"),
    )
    withdrawn = AuthorisationWithdrawn(
        application_id=DOSSIER, step="work", authority="VLG", withdrawn_at=at("2026-11-20")
    )
    ended = StayEnded(application_id=DOSSIER, ended_at=at("2026-11-25"))
    state = given(filed(), admissible(), work, withdrawn, ended)
    assert {step: (d.by, d.on) for step, d in state.decisions.items()} == {
        "admissibility": ("VLG", date(2026, 9, 10)),
        "work": ("VLG", date(2026, 10, 5)),  # an appeal may lie from the first decision on
        "residence": ("OE", date(2026, 11, 25)),  # Art. 12 §1: the Office decides residence
    }


def test_the_stored_state_keeps_the_deciders_and_the_appeals() -> None:
    from guichet_retention.store import dump

    state = evolve(
        appealed("WAL"), end(appealed("WAL"), EndAppeal("CE-1", TODAY, by="WAL"), today=TODAY)
    )
    assert load(dump(state)) == state
