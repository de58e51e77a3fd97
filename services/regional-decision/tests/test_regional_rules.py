"""The competent region's decisions (Art. 9, Art. 12 §1, Art. 20 §4, Art. 24).

Given the events of a dossier, when the region decides, then the new events or the
refusal with its reason. Pure: ``evolve`` and the commands of ``domain`` (``make unit``).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from guichet_contracts import (
    ApplicationDeclaredAdmissible,
    ApplicationFiled,
    AuthorisationWithdrawn,
    DocumentReference,
    DomainEvent,
    NegativeDecisionTaken,
    ProfessionalCardGranted,
    SealedData,
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
from guichet_regional_decision import domain
from guichet_regional_decision.domain import DecisionReasonRecorded, Dossier, Refused, Status

VLG, WAL = CompetentAuthority.FLANDERS, CompetentAuthority.WALLONIA
ID = uuid.UUID(int=7)
NOW = datetime(2027, 3, 1, 9, tzinfo=UTC)
REASON = SealedData(key_id=str(ID), alg="AES-256-GCM", nonce="AAAA", ciphertext="AAAA")


def filed(kind: ApplicationKind = ApplicationKind.SINGLE_PERMIT) -> ApplicationFiled:
    card = kind is ApplicationKind.PROFESSIONAL_CARD
    return ApplicationFiled(
        application_id=ID,
        kind=kind,
        category=ApplicantCategory.SELF_EMPLOYED if card else ApplicantCategory.GENERAL,
        competent_authority=VLG,
        workplace_postcode="2000",
        filed_by=FilerRole.SELF_EMPLOYED if card else FilerRole.EMPLOYER,
        filed_at=NOW,
    )


def admissible() -> ApplicationDeclaredAdmissible:
    return ApplicationDeclaredAdmissible(application_id=ID, authority=VLG, decided_at=NOW)


def requested(request_id: str = "r1") -> SupplementaryDocumentsRequested:
    return SupplementaryDocumentsRequested(
        application_id=ID,
        request_id=request_id,
        authority=VLG,
        document_kinds=(DocumentKind.DIPLOMA,),
        due_on=date(2027, 4, 1),
        requested_at=NOW,
    )


def supplied(request_id: str = "r1") -> SupplementaryDocumentsSupplied:
    reference = DocumentReference(
        document_id="d1",
        kind=DocumentKind.DIPLOMA,
        media_type="application/pdf",
        size_bytes=10,
        sha256="0" * 64,
    )
    return SupplementaryDocumentsSupplied(
        application_id=ID, request_id=request_id, documents=(reference,), supplied_at=NOW
    )


def authorised() -> WorkAuthorised:
    return WorkAuthorised(
        application_id=ID,
        authority=VLG,
        valid_from=date(2027, 4, 1),
        valid_until=date(2029, 3, 31),
        decided_at=NOW,
    )


def given(*events: DomainEvent, day: int = 1) -> Dossier:
    state = None
    for offset, event in enumerate(events):
        state = domain.evolve(state, event, at=NOW.replace(day=day + offset))
    assert state is not None
    return state


def test_a_filed_dossier_awaits_admissibility() -> None:
    assert given(filed()).status is Status.AWAITING_ADMISSIBILITY


def test_only_the_region_of_the_place_of_work_decides_art_9() -> None:
    with pytest.raises(domain.NotCompetent, match="VLG"):
        domain.declare_admissible(given(filed()), WAL, NOW)
    with pytest.raises(domain.NotCompetent):
        domain.request_documents(
            given(filed()), WAL, (DocumentKind.DIPLOMA,), date(2027, 4, 1), NOW
        )


def test_admissibility_comes_first_then_the_work_decision_art_12_1() -> None:
    [event] = domain.declare_admissible(given(filed()), VLG, NOW)
    assert isinstance(event, ApplicationDeclaredAdmissible)
    assert given(filed(), event).status is Status.UNDER_EXAMINATION
    with pytest.raises(Refused, match="under_examination"):
        domain.declare_admissible(given(filed(), event), VLG, NOW)
    with pytest.raises(Refused, match="awaiting_admissibility"):
        domain.authorise_work(given(filed()), VLG, date(2027, 4, 1), date(2028, 4, 1), NOW)


def test_a_negative_decision_keeps_its_reason_private_and_shares_only_the_fact_art_24() -> None:
    reason, shared = domain.refuse(given(filed()), VLG, DecisionStep.ADMISSIBILITY, REASON, NOW)
    assert isinstance(reason, DecisionReasonRecorded) and reason.reason == REASON
    assert isinstance(shared, NegativeDecisionTaken)
    assert "reason" not in shared.model_dump()
    assert given(filed(), shared).status is Status.REFUSED


def test_work_is_refused_only_once_the_dossier_is_admissible_art_12_1() -> None:
    with pytest.raises(Refused):
        domain.refuse(given(filed()), VLG, DecisionStep.WORK, REASON, NOW)
    events = domain.refuse(given(filed(), admissible()), VLG, DecisionStep.WORK, REASON, NOW)
    assert [type(e) for e in events] == [DecisionReasonRecorded, NegativeDecisionTaken]


def test_a_region_takes_no_residence_decision_art_12_1() -> None:
    with pytest.raises(Refused, match="residence"):
        domain.refuse(given(filed(), admissible()), VLG, DecisionStep.RESIDENCE, REASON, NOW)


def test_a_professional_card_is_refused_by_a_card_decision_not_a_work_one() -> None:
    card = given(filed(ApplicationKind.PROFESSIONAL_CARD), admissible())
    with pytest.raises(Refused):
        domain.refuse(card, VLG, DecisionStep.WORK, REASON, NOW)
    with pytest.raises(Refused):
        domain.refuse(
            given(filed(), admissible()), VLG, DecisionStep.PROFESSIONAL_CARD, REASON, NOW
        )
    assert domain.refuse(card, VLG, DecisionStep.PROFESSIONAL_CARD, REASON, NOW)


def test_documents_are_asked_for_a_due_date_in_the_future_art_20_4() -> None:
    with pytest.raises(Refused, match="future"):
        domain.request_documents(given(filed()), VLG, (DocumentKind.DIPLOMA,), NOW.date(), NOW)
    [event] = domain.request_documents(
        given(filed()), VLG, (DocumentKind.DIPLOMA,), date(2027, 3, 2), NOW
    )
    assert isinstance(event, SupplementaryDocumentsRequested)
    assert event.due_on == date(2027, 3, 2)


def test_supplied_documents_take_the_dossier_back_to_where_it_was_art_20_4() -> None:
    waiting = given(filed(), admissible(), requested())
    assert waiting.status is Status.AWAITING_DOCUMENTS and waiting.open_request == "r1"
    resumed = given(filed(), admissible(), requested(), supplied())
    assert resumed.status is Status.UNDER_EXAMINATION and resumed.open_request is None


def test_a_request_suspends_the_clock_from_its_day_until_the_documents_arrive() -> None:
    dossier = given(filed(), admissible(), requested(), supplied())
    assert dossier.suspensions == ((NOW.replace(day=3), NOW.replace(day=4)),)


def test_documents_answering_another_request_change_nothing() -> None:
    waiting = given(filed(), requested())
    assert domain.evolve(waiting, supplied("other"), at=NOW) == waiting


def test_no_decision_is_taken_while_documents_are_awaited() -> None:
    waiting = given(filed(), admissible(), requested())
    with pytest.raises(Refused, match="awaiting_documents"):
        domain.authorise_work(waiting, VLG, date(2027, 4, 1), date(2028, 4, 1), NOW)


def test_work_is_authorised_for_a_period_that_ends_after_it_starts() -> None:
    examined = given(filed(), admissible())
    with pytest.raises(Refused, match="end after"):
        domain.authorise_work(examined, VLG, date(2027, 4, 1), date(2027, 4, 1), NOW)
    [event] = domain.authorise_work(examined, VLG, date(2027, 4, 1), date(2028, 4, 1), NOW)
    assert given(filed(), admissible(), event).work_valid_until == date(2028, 4, 1)


def test_a_professional_card_is_not_a_work_authorisation() -> None:
    card = given(filed(ApplicationKind.PROFESSIONAL_CARD), admissible())
    with pytest.raises(Refused):
        domain.authorise_work(card, VLG, date(2027, 4, 1), date(2028, 4, 1), NOW)
    with pytest.raises(Refused):
        domain.grant_professional_card(
            given(filed(), admissible()), VLG, date(2027, 4, 1), date(2028, 4, 1), NOW
        )
    [event] = domain.grant_professional_card(card, VLG, date(2027, 4, 1), date(2028, 4, 1), NOW)
    assert isinstance(event, ProfessionalCardGranted)
    assert given(filed(ApplicationKind.PROFESSIONAL_CARD), admissible(), event).status is (
        Status.PROFESSIONAL_CARD_GRANTED
    )


def test_only_a_granted_authorisation_is_withdrawn_with_a_private_reason_art_24() -> None:
    with pytest.raises(Refused):
        domain.withdraw(given(filed(), admissible()), VLG, REASON, NOW)
    reason, withdrawn = domain.withdraw(
        given(filed(), admissible(), authorised()), VLG, REASON, NOW
    )
    assert isinstance(reason, DecisionReasonRecorded)
    assert isinstance(withdrawn, AuthorisationWithdrawn) and withdrawn.step is DecisionStep.WORK
    assert given(filed(), admissible(), authorised(), withdrawn).status is Status.WITHDRAWN


def test_the_timeline_names_each_step_of_the_procedure() -> None:
    refusal = domain.refuse(given(filed(), admissible()), VLG, DecisionStep.WORK, REASON, NOW)[1]
    steps = [
        name for name, _ in given(filed(), admissible(), requested(), supplied(), refusal).history
    ]
    assert steps == [
        "filed",
        "admissible",
        "documents_requested",
        "documents_supplied",
        "work_refused",
    ]
