"""The Immigration Office's residence decision (Art. 2 §1 1° a), Art. 12 §1, Art. 18, 24).

Given the events of a single-permit dossier, when the Office decides, then the new
events or the refusal with its reason. Pure: ``evolve`` and the commands of ``domain``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from guichet_contracts import (
    ApplicationDeclaredAdmissible,
    ApplicationFiled,
    AuthorisationWithdrawn,
    DocumentReference,
    DomainEvent,
    NegativeDecisionTaken,
    ResidenceAuthorised,
    SealedData,
    SinglePermitGranted,
    StayEnded,
    SupplementaryDocumentsRequested,
    SupplementaryDocumentsSupplied,
    WorkAuthorised,
)
from guichet_contracts.vocabulary import (
    ApplicantCategory,
    ApplicationKind,
    CompetentAuthority,
    DecisionStep,
    DocumentKind,
    FilerRole,
)
from guichet_residence_decision import domain
from guichet_residence_decision.domain import (
    Dossier,
    Refused,
    ResidenceDecisionReasonRecorded,
    Status,
)

DOSSIER = uuid.UUID(int=11)
T0 = datetime(2027, 5, 3, 10, tzinfo=UTC)
SEALED_REASON = SealedData(key_id=str(DOSSIER), alg="AES-256-GCM", nonce="AA", ciphertext="AA")
WORK_FROM, WORK_UNTIL = date(2027, 7, 1), date(2029, 6, 30)


def history(kind: ApplicationKind = ApplicationKind.SINGLE_PERMIT) -> list[DomainEvent]:
    """Filed in Liège, declared admissible the next day, work authorised by Wallonia."""
    region = CompetentAuthority.WALLONIA
    return [
        ApplicationFiled(
            application_id=DOSSIER,
            kind=kind,
            category=ApplicantCategory.EU_BLUE_CARD,
            competent_authority=region,
            workplace_postcode="4000",
            filed_by=FilerRole.WORKER,
            filed_at=T0,
        ),
        ApplicationDeclaredAdmissible(application_id=DOSSIER, authority=region, decided_at=T0),
        WorkAuthorised(
            application_id=DOSSIER,
            authority=region,
            valid_from=WORK_FROM,
            valid_until=WORK_UNTIL,
            decided_at=T0,
        ),
    ]


def state_after(events: list[DomainEvent]) -> Dossier:
    """The fold of ``events``, the n-th recorded n days after T0."""
    state = None
    for days, event in enumerate(events):
        state = domain.evolve(state, event, at=T0 + timedelta(days=days))
    assert state is not None
    return state


def granted() -> Dossier:
    events = domain.authorise_residence(state_after(history()), WORK_FROM, WORK_UNTIL, T0, "A-1")
    return state_after([*history(), *events])


def test_a_dossier_awaits_the_work_decision_of_the_region_first_art_12_1() -> None:
    before_work = state_after(history()[:2])
    assert before_work.status is Status.AWAITING_WORK_DECISION
    with pytest.raises(Refused, match="region has not authorised the work yet"):
        domain.authorise_residence(before_work, WORK_FROM, WORK_UNTIL, T0, "A-1")
    assert state_after(history()).status is Status.AWAITING_RESIDENCE_DECISION


@pytest.mark.parametrize(
    "kind", [ApplicationKind.WORK_AUTHORISATION, ApplicationKind.PROFESSIONAL_CARD]
)
def test_only_a_single_permit_has_a_residence_part_art_2_1_1(kind: ApplicationKind) -> None:
    with pytest.raises(Refused, match="no residence part"):
        domain.authorise_residence(state_after(history(kind)), WORK_FROM, WORK_UNTIL, T0, "A")


def test_residence_and_work_granted_make_one_single_permit_act_art_2_1_1_a() -> None:
    residence, permit = domain.authorise_residence(
        state_after(history()), WORK_FROM, WORK_UNTIL, T0, "A-1"
    )
    assert isinstance(residence, ResidenceAuthorised)
    assert isinstance(permit, SinglePermitGranted) and permit.act_number == "A-1"
    assert granted().status is Status.GRANTED


def test_the_single_permit_lasts_no_longer_than_the_work_authorisation() -> None:
    longer = WORK_UNTIL + timedelta(days=365)
    _, permit = domain.authorise_residence(state_after(history()), WORK_FROM, longer, T0, "A-2")
    assert isinstance(permit, SinglePermitGranted)
    assert permit.valid_until == WORK_UNTIL


def test_residence_is_authorised_for_a_period_that_ends_after_it_starts() -> None:
    with pytest.raises(Refused, match="end after"):
        domain.authorise_residence(state_after(history()), WORK_FROM, WORK_FROM, T0, "A-3")


def test_a_refusal_keeps_its_reason_with_the_office_and_shares_only_the_fact_art_24() -> None:
    reason, shared = domain.refuse_residence(state_after(history()), SEALED_REASON, T0)
    assert isinstance(reason, ResidenceDecisionReasonRecorded)
    assert reason.step is DecisionStep.RESIDENCE and reason.reason == SEALED_REASON
    assert isinstance(shared, NegativeDecisionTaken)
    assert shared.authority is CompetentAuthority.IMMIGRATION_OFFICE
    assert "reason" not in shared.model_dump()


def test_a_dossier_refused_by_the_region_gets_no_residence_decision() -> None:
    refusal = NegativeDecisionTaken(
        application_id=DOSSIER,
        step=DecisionStep.WORK,
        authority=CompetentAuthority.WALLONIA,
        decided_at=T0,
    )
    refused = state_after([*history()[:2], refusal])
    assert refused.status is Status.REFUSED
    with pytest.raises(Refused, match="refused"):
        domain.refuse_residence(refused, SEALED_REASON, T0)


def test_only_a_granted_permit_is_withdrawn_art_18() -> None:
    with pytest.raises(Refused):
        domain.withdraw_permit(state_after(history()), SEALED_REASON, T0)
    reason, withdrawn = domain.withdraw_permit(granted(), SEALED_REASON, T0)
    assert isinstance(reason, ResidenceDecisionReasonRecorded)
    assert isinstance(withdrawn, AuthorisationWithdrawn)
    assert withdrawn.step is DecisionStep.RESIDENCE
    assert domain.evolve(granted(), withdrawn, at=T0).status is Status.WITHDRAWN


def test_only_a_granted_permit_s_stay_is_ended_art_18() -> None:
    with pytest.raises(Refused):
        domain.end_stay(state_after(history()), SEALED_REASON, T0)
    _, ended = domain.end_stay(granted(), SEALED_REASON, T0)
    assert isinstance(ended, StayEnded)
    assert domain.evolve(granted(), ended, at=T0).status is Status.STAY_ENDED
    with pytest.raises(Refused, match="stay_ended"):
        domain.withdraw_permit(domain.evolve(granted(), ended, at=T0), SEALED_REASON, T0)


def test_the_ninety_day_clock_starts_on_the_day_the_region_declares_it_admissible() -> None:
    # Directive (EU) 2024/1233: 90 days from a complete application.
    assert state_after(history()[:1]).complete_on is None
    assert state_after(history()[:2]).complete_on == (T0 + timedelta(days=1)).date()


def test_a_request_for_documents_suspends_the_clock_until_they_are_supplied() -> None:
    request = SupplementaryDocumentsRequested(
        application_id=DOSSIER,
        request_id="q",
        authority=CompetentAuthority.WALLONIA,
        document_kinds=(DocumentKind.PHOTO,),
        due_on=date(2027, 6, 1),
        requested_at=T0,
    )
    photo = DocumentReference(
        document_id="p",
        kind=DocumentKind.PHOTO,
        media_type="image/png",
        size_bytes=1,
        sha256="f" * 64,
    )
    supply = SupplementaryDocumentsSupplied(
        application_id=DOSSIER, request_id="q", documents=(photo,), supplied_at=T0
    )
    waiting = state_after([*history()[:2], request])
    assert waiting.suspensions == ((date(2027, 5, 5), None),)
    resumed = state_after([*history()[:2], request, supply])
    assert resumed.suspensions == ((date(2027, 5, 5), date(2027, 5, 6)),)
    assert domain.evolve(resumed, supply, at=T0) == resumed  # nothing open: no change
