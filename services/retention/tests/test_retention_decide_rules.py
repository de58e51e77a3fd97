"""Retention's commands through ``domain.decide``, as a specification: given the dossier's
events, when a command, then the events it records (or why it is refused).

Art. 27 §1 3°: a pending appeal holds the deletion; it is recorded by the authority that
took the decision appealed against, or by a court registry, and ended by whoever lodged
it. Art. 27 §2: an erased dossier takes nothing more.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from functools import reduce

import pytest

from guichet_contracts import (
    AppealDecided,
    AppealLodged,
    ApplicationFiled,
    DomainEvent,
    DossierPurged,
    NegativeDecisionTaken,
)
from guichet_retention.domain import (
    COURT_REGISTRY,
    DossierErased,
    DossierRetention,
    EndAppeal,
    LodgeAppeal,
    NotPermitted,
    decide,
    evolve,
)
from guichet_retention.schedule import deletion

DOSSIER = uuid.uuid4()
TODAY = date(2026, 12, 3)


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


def given(*events: DomainEvent) -> DossierRetention:
    return reduce(evolve, events, DossierRetention(str(DOSSIER)))


FILED = ApplicationFiled(
    application_id=DOSSIER,
    kind="single_permit",
    category="general",
    competent_authority="VLG",
    workplace_postcode="2000",
    filed_by="employer",
    filed_at=at("2026-09-01"),
)
WORK_REFUSED = NegativeDecisionTaken(
    application_id=DOSSIER, step="work", authority="VLG", decided_at=at("2026-10-01")
)
LODGED = AppealLodged(
    application_id=DOSSIER, appeal_id="RvV-1", step="work", recorded_by="VLG", lodged_on=TODAY
)


def test_the_deciding_region_lodges_an_appeal_art_27_1_3() -> None:
    when = LodgeAppeal("RvV-1", "work", TODAY, by="VLG")
    assert decide(given(FILED, WORK_REFUSED), when, today=TODAY) == [LODGED]


def test_a_court_registry_lodges_an_appeal_against_any_decision_art_27_1_3() -> None:
    when = LodgeAppeal("RvV-1", "work", TODAY, by=COURT_REGISTRY)
    (event,) = decide(given(FILED, WORK_REFUSED), when, today=TODAY)
    assert isinstance(event, AppealLodged) and event.recorded_by == COURT_REGISTRY


def test_an_appeal_lodged_holds_the_deletion_art_27_1_3() -> None:
    state = given(FILED, WORK_REFUSED)
    (event,) = decide(state, LodgeAppeal("RvV-1", "work", TODAY, by="VLG"), today=TODAY)
    assert deletion(state).due_on is not None
    assert deletion(evolve(state, event)).held_by_appeal


def test_whoever_lodged_the_appeal_ends_it_and_the_deletion_date_runs_again() -> None:
    state = given(FILED, WORK_REFUSED, LODGED)
    (event,) = decide(state, EndAppeal("RvV-1", TODAY, by="VLG"), today=TODAY)
    assert isinstance(event, AppealDecided) and event.decided_on == TODAY
    assert deletion(evolve(state, event)).due_on is not None


def test_another_authority_may_not_end_the_appeal_art_27_1_3() -> None:
    with pytest.raises(NotPermitted):
        decide(given(FILED, WORK_REFUSED, LODGED), EndAppeal("RvV-1", TODAY, by="WAL"), today=TODAY)


def test_an_erased_dossier_takes_no_appeal_art_27_2() -> None:
    purged = DossierPurged(
        application_id=DOSSIER, rule="negative_5_years", due_on=TODAY, purged_at=at("2026-12-01")
    )
    with pytest.raises(DossierErased):
        decide(
            given(FILED, WORK_REFUSED, purged),
            LodgeAppeal("RvV-1", "work", TODAY, by="VLG"),
            today=TODAY,
        )
