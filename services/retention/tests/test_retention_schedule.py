"""Art. 27 as a specification: when each dossier is deleted, and how later events move it."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from functools import reduce

from guichet_contracts import (
    AppealDecided,
    AppealLodged,
    ApplicationFiled,
    AuthorisationWithdrawn,
    DomainEvent,
    NegativeDecisionTaken,
    SinglePermitGranted,
    WorkAuthorised,
)
from guichet_retention.schedule import DossierRetention, deletion, evolve

DOSSIER = uuid.uuid4()


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


def filed(day: str = "2026-06-01", kind: str = "single_permit") -> ApplicationFiled:
    return ApplicationFiled(
        application_id=DOSSIER,
        kind=kind,
        category="general",
        competent_authority="VLG",
        workplace_postcode="2000",
        filed_by="employer",
        filed_at=at(day),
    )


def granted(day: str) -> SinglePermitGranted:
    return SinglePermitGranted(
        application_id=DOSSIER,
        act_number="SP-1",
        valid_from=date(2026, 9, 1),
        valid_until=date(2028, 9, 1),
        granted_at=at(day),
    )


def refused(day: str, step: str = "work") -> NegativeDecisionTaken:
    return NegativeDecisionTaken(
        application_id=DOSSIER, step=step, authority="VLG", decided_at=at(day)
    )


def fold(*events: DomainEvent) -> DossierRetention:
    return reduce(evolve, events, DossierRetention(str(DOSSIER)))


def test_art_27_1_a_granted_single_permit_is_kept_ten_years_from_filing() -> None:
    rule = deletion(fold(filed("2026-06-01"), granted("2026-08-15")))
    assert (rule.due_on, rule.rule) == (date(2036, 6, 1), "granted_10_years")


def test_a_work_authorisation_alone_counts_as_granted_when_the_region_authorises() -> None:
    work = WorkAuthorised(
        application_id=DOSSIER,
        authority="VLG",
        valid_from=date(2026, 7, 1),
        valid_until=date(2026, 9, 1),
        decided_at=at("2026-06-20"),
    )
    assert deletion(fold(filed("2026-06-01", "work_authorisation"), work)).due_on == date(
        2036, 6, 1
    )


def test_work_authorised_for_a_single_permit_is_not_yet_a_grant() -> None:
    work = WorkAuthorised(
        application_id=DOSSIER,
        authority="VLG",
        valid_from=date(2026, 7, 1),
        valid_until=date(2027, 9, 1),
        decided_at=at("2026-06-20"),
    )
    rule = deletion(fold(filed(), work))
    assert rule.due_on is None and "still open" in rule.why


def test_art_27_2_a_refusal_is_kept_five_years_from_its_notification() -> None:
    rule = deletion(fold(filed("2026-06-01"), refused("2026-07-10")))
    assert (rule.due_on, rule.rule) == (date(2031, 7, 10), "negative_5_years")


def test_a_withdrawal_after_a_grant_moves_the_date_to_five_years_from_withdrawal() -> None:
    withdrawn = AuthorisationWithdrawn(
        application_id=DOSSIER, step="residence", authority="OE", withdrawn_at=at("2027-03-01")
    )
    before = deletion(fold(filed("2026-06-01"), granted("2026-08-15")))
    after = deletion(fold(filed("2026-06-01"), granted("2026-08-15"), withdrawn))
    assert before.due_on == date(2036, 6, 1)
    assert (after.due_on, after.rule) == (date(2032, 3, 1), "negative_5_years")


def test_art_27_3_a_pending_appeal_holds_deletion_and_its_end_releases_it() -> None:
    lodged = AppealLodged(
        application_id=DOSSIER,
        appeal_id="CCE-1",
        step="work",
        recorded_by="VLG",
        lodged_on=date(2026, 8, 1),
    )
    held = deletion(fold(filed(), refused("2026-07-10"), lodged))
    assert held.due_on is None and held.held_by_appeal
    decided = AppealDecided(
        application_id=DOSSIER, appeal_id="CCE-1", recorded_by="VLG", decided_on=date(2033, 2, 1)
    )
    released = deletion(fold(filed(), refused("2026-07-10"), lodged, decided))
    # five years from the refusal would be 2031: one year after the appeal's end wins
    assert released.due_on == date(2034, 4, 2) and "Art. 27 §1 3°" in released.why


def test_an_application_still_being_examined_has_no_deletion_date() -> None:
    assert deletion(fold(filed())).due_on is None


def test_the_schedule_does_not_depend_on_the_order_the_topics_were_read_in() -> None:
    """Each service's topic is read on its own: a region's decision may come before the
    filing it decides on, in a replay as live. The date must not change with that."""
    from itertools import permutations

    work = WorkAuthorised(
        application_id=DOSSIER,
        authority="VLG",
        valid_from=date(2026, 7, 1),
        valid_until=date(2026, 9, 1),
        decided_at=at("2026-06-20"),
    )
    for kind, later in (("work_authorisation", ()), ("single_permit", (granted("2026-08-15"),))):
        events = (filed("2026-06-01", kind), work, *later)
        dates = {deletion(fold(*order)) for order in permutations(events)}
        assert len(dates) == 1, (kind, dates)
        assert dates.pop().rule == "granted_10_years"
