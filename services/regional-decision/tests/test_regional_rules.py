"""The competent region's decisions (Art. 9, Art. 12 §1, Art. 20 §4, Art. 24).

Given the events of a dossier, when the region decides a command, then the new events or
the refusal with its reason. Pure: ``evolve`` and ``decide`` of ``domain`` (``make unit``).
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
    TimelineStep,
)
from guichet_core.dossier_rules import ReasonsMissing
from guichet_regional_decision import domain
from guichet_regional_decision.domain import (
    AuthoriseWork,
    DecisionReasonRecorded,
    DeclareAdmissible,
    Dossier,
    GrantProfessionalCard,
    NotCompetent,
    Refuse,
    Refused,
    RequestDocuments,
    Status,
    Withdraw,
)
from guichet_regional_decision.queue import DECIDED

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


def admit(authority: CompetentAuthority = VLG) -> DeclareAdmissible:
    return DeclareAdmissible(application_id=ID, authority=authority, now=NOW)


def refuse(step: DecisionStep, authority: CompetentAuthority = VLG) -> Refuse:
    return Refuse(application_id=ID, authority=authority, now=NOW, step=step, reasons="why")


def ask(due_on: date = date(2027, 4, 1), authority: CompetentAuthority = VLG) -> RequestDocuments:
    return RequestDocuments(
        application_id=ID,
        authority=authority,
        now=NOW,
        document_kinds=(DocumentKind.DIPLOMA,),
        due_on=due_on,
        explanation="the diploma is missing",
        request_id="r1",
    )


def authorise(until: date = date(2028, 4, 1)) -> AuthoriseWork:
    return AuthoriseWork(
        application_id=ID, authority=VLG, now=NOW, valid_from=date(2027, 4, 1), valid_until=until
    )


def grant_card(until: date = date(2028, 4, 1)) -> GrantProfessionalCard:
    return GrantProfessionalCard(
        application_id=ID, authority=VLG, now=NOW, valid_from=date(2027, 4, 1), valid_until=until
    )


def withdraw(authority: CompetentAuthority = VLG) -> Withdraw:
    return Withdraw(application_id=ID, authority=authority, now=NOW, reasons="why")


def given(*events: DomainEvent, day: int = 1) -> Dossier:
    state = None
    for offset, event in enumerate(events):
        state = domain.evolve(state, event, at=NOW.replace(day=day + offset))
    assert state is not None
    return state


def when(state: Dossier, command: domain.Command) -> list[DomainEvent]:
    """The events ``command`` yields on ``state`` (reasons come sealed, as the handler seals)."""
    return domain.decide(state, command, sealed=REASON)


def test_a_filed_dossier_awaits_admissibility_art_12_1() -> None:
    assert given(filed()).status is Status.AWAITING_ADMISSIBILITY


@pytest.mark.parametrize(
    "command",
    [
        admit(WAL),
        refuse(DecisionStep.ADMISSIBILITY, WAL),
        ask(authority=WAL),
        AuthoriseWork(
            application_id=ID, authority=WAL, now=NOW, valid_from=NOW.date(), valid_until=NOW.date()
        ),
        withdraw(WAL),
    ],
    ids=lambda command: type(command).__name__,
)
def test_only_the_region_of_the_place_of_work_decides_art_9(command: domain.Command) -> None:
    with pytest.raises(NotCompetent, match="VLG"):
        when(given(filed(), admissible()), command)


def test_admissibility_comes_first_then_the_work_decision_art_12_1() -> None:
    [event] = when(given(filed()), admit())
    assert isinstance(event, ApplicationDeclaredAdmissible) and event.authority is VLG
    assert given(filed(), event).status is Status.UNDER_EXAMINATION
    with pytest.raises(Refused, match="awaiting_admissibility"):
        when(given(filed()), authorise())


def test_a_dossier_is_declared_admissible_once_art_12_1() -> None:
    with pytest.raises(Refused, match="under_examination"):
        when(given(filed(), admissible()), admit())


def test_a_negative_decision_keeps_its_reason_private_and_shares_only_the_fact_art_24() -> None:
    reason, shared = when(given(filed()), refuse(DecisionStep.ADMISSIBILITY))
    assert isinstance(reason, DecisionReasonRecorded) and reason.reason == REASON
    assert domain.PRIVATE.knows(reason.event_type)  # never published
    assert isinstance(shared, NegativeDecisionTaken)
    assert "reason" not in shared.model_dump()
    assert given(filed(), shared).status is Status.REFUSED


def test_a_negative_decision_states_its_reasons_art_24() -> None:
    with pytest.raises(ReasonsMissing):
        Refuse(application_id=ID, authority=VLG, now=NOW, step=DecisionStep.WORK, reasons="")
    with pytest.raises(ReasonsMissing):
        domain.decide(given(filed()), refuse(DecisionStep.ADMISSIBILITY), sealed=None)


def test_work_is_refused_only_once_the_dossier_is_admissible_art_12_1() -> None:
    with pytest.raises(Refused):
        when(given(filed()), refuse(DecisionStep.WORK))
    events = when(given(filed(), admissible()), refuse(DecisionStep.WORK))
    assert [type(e) for e in events] == [DecisionReasonRecorded, NegativeDecisionTaken]


def test_a_region_takes_no_residence_decision_art_12_1() -> None:
    with pytest.raises(Refused, match="residence"):
        when(given(filed(), admissible()), refuse(DecisionStep.RESIDENCE))


def test_a_professional_card_is_refused_by_a_card_decision_not_a_work_one_art_12_1() -> None:
    card = given(filed(ApplicationKind.PROFESSIONAL_CARD), admissible())
    with pytest.raises(Refused):
        when(card, refuse(DecisionStep.WORK))
    with pytest.raises(Refused):
        when(given(filed(), admissible()), refuse(DecisionStep.PROFESSIONAL_CARD))
    _, refusal = when(card, refuse(DecisionStep.PROFESSIONAL_CARD))
    assert isinstance(refusal, NegativeDecisionTaken)
    assert refusal.step is DecisionStep.PROFESSIONAL_CARD


def test_documents_are_asked_for_a_due_date_in_the_future_art_20_4() -> None:
    with pytest.raises(Refused, match="future"):
        when(given(filed()), ask(due_on=NOW.date()))
    [event] = when(given(filed()), ask(due_on=date(2027, 3, 2)))
    assert isinstance(event, SupplementaryDocumentsRequested)
    assert event.due_on == date(2027, 3, 2) and event.request_id == "r1"


def test_documents_are_asked_only_while_the_dossier_is_examined_art_20_4() -> None:
    with pytest.raises(Refused, match="work_authorised"):
        when(given(filed(), admissible(), authorised()), ask())
    with pytest.raises(Refused, match="awaiting_documents"):
        when(given(filed(), requested()), ask())


def test_supplied_documents_take_the_dossier_back_to_where_it_was_art_20_4() -> None:
    waiting = given(filed(), admissible(), requested())
    assert waiting.status is Status.AWAITING_DOCUMENTS and waiting.open_request == "r1"
    resumed = given(filed(), admissible(), requested(), supplied())
    assert resumed.status is Status.UNDER_EXAMINATION and resumed.open_request is None
    before_admissibility = given(filed(), requested(), supplied())
    assert before_admissibility.status is Status.AWAITING_ADMISSIBILITY


def test_a_request_suspends_the_clock_from_its_day_until_the_documents_arrive_art_20_4() -> None:
    dossier = given(filed(), admissible(), requested(), supplied())
    assert dossier.suspensions == ((NOW.replace(day=3), NOW.replace(day=4)),)


def test_documents_answering_another_request_change_nothing_art_20_4() -> None:
    waiting = given(filed(), requested())
    assert domain.evolve(waiting, supplied("other"), at=NOW) == waiting


def test_no_decision_is_taken_while_documents_are_awaited_art_20_4() -> None:
    waiting = given(filed(), admissible(), requested())
    with pytest.raises(Refused, match="awaiting_documents"):
        when(waiting, authorise())


def test_work_is_authorised_for_a_period_that_ends_after_it_starts_art_9() -> None:
    examined = given(filed(), admissible())
    with pytest.raises(Refused, match="end after"):
        when(examined, authorise(until=date(2027, 4, 1)))
    [event] = when(examined, authorise())
    assert isinstance(event, WorkAuthorised) and event.authority is VLG
    after = given(filed(), admissible(), event)
    assert after.status is Status.WORK_AUTHORISED
    assert after.work_valid_until == date(2028, 4, 1)


def test_a_professional_card_is_not_a_work_authorisation_art_12_1() -> None:
    card = given(filed(ApplicationKind.PROFESSIONAL_CARD), admissible())
    with pytest.raises(Refused):
        when(card, authorise())
    with pytest.raises(Refused, match="not a professional-card application"):
        when(given(filed(), admissible()), grant_card())


def test_a_professional_card_is_granted_for_a_period_that_ends_after_it_starts_art_12_1() -> None:
    card = given(filed(ApplicationKind.PROFESSIONAL_CARD), admissible())
    with pytest.raises(Refused, match="end after"):
        when(card, grant_card(until=date(2027, 4, 1)))
    [event] = when(card, grant_card())
    assert isinstance(event, ProfessionalCardGranted)
    after = given(filed(ApplicationKind.PROFESSIONAL_CARD), admissible(), event)
    assert after.status is Status.PROFESSIONAL_CARD_GRANTED


def test_only_a_granted_authorisation_is_withdrawn_with_a_private_reason_art_18_24() -> None:
    with pytest.raises(Refused):
        when(given(filed(), admissible()), withdraw())
    reason, withdrawn = when(given(filed(), admissible(), authorised()), withdraw())
    assert isinstance(reason, DecisionReasonRecorded) and reason.step is DecisionStep.WORK
    assert isinstance(withdrawn, AuthorisationWithdrawn) and withdrawn.step is DecisionStep.WORK
    assert given(filed(), admissible(), authorised(), withdrawn).status is Status.WITHDRAWN


def test_a_granted_professional_card_is_withdrawn_as_a_card_art_18() -> None:
    card = [filed(ApplicationKind.PROFESSIONAL_CARD), admissible()]
    [granted] = when(given(*card), grant_card())
    _, withdrawn = when(given(*card, granted), withdraw())
    assert isinstance(withdrawn, AuthorisationWithdrawn)
    assert withdrawn.step is DecisionStep.PROFESSIONAL_CARD


def test_the_timeline_names_each_step_with_the_shared_step_names() -> None:
    refusal = when(given(filed(), admissible()), refuse(DecisionStep.WORK))[1]
    steps = [
        name for name, _ in given(filed(), admissible(), requested(), supplied(), refusal).history
    ]
    assert steps == [
        TimelineStep.FILED,
        TimelineStep.ADMISSIBLE,
        TimelineStep.DOCUMENTS_REQUESTED,
        TimelineStep.DOCUMENTS_SUPPLIED,
        TimelineStep.WORK_REFUSED,
    ]
    assert [str(step) for step in steps][-1] == "work_refused"  # what the API shows


def test_a_withdrawal_and_a_card_name_their_step_in_the_timeline() -> None:
    withdrawn = when(given(filed(), admissible(), authorised()), withdraw())[1]
    history = given(filed(), admissible(), authorised(), withdrawn).history
    assert [name for name, _ in history][-2:] == [
        TimelineStep.WORK_AUTHORISED,
        TimelineStep.WORK_WITHDRAWN,
    ]
    card = [filed(ApplicationKind.PROFESSIONAL_CARD), admissible()]
    granted = when(given(*card), grant_card())
    assert given(*card, *granted).history[-1][0] is TimelineStep.PROFESSIONAL_CARD_GRANTED


def test_a_decided_dossier_leaves_the_regions_queue_a_granted_card_too_art_9() -> None:
    """The queue lists what the region has still to decide; its part of a card application
    is decided once the card is granted (its 90-day clock stops, Art. 9)."""
    card = given(filed(ApplicationKind.PROFESSIONAL_CARD), admissible())
    [granted] = when(card, grant_card())
    decided = given(filed(ApplicationKind.PROFESSIONAL_CARD), admissible(), granted)
    assert decided.status in DECIDED
    assert card.status not in DECIDED
    assert {status for status in Status if status not in DECIDED} == {
        Status.AWAITING_ADMISSIBILITY,
        Status.AWAITING_DOCUMENTS,
        Status.UNDER_EXAMINATION,
    }
