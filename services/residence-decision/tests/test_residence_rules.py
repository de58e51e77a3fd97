"""The Immigration Office's residence decision (Art. 2 §1 1° a), Art. 12 §1, Art. 18, 24).

Given the events of a single-permit dossier, when the Office decides a command, then the
new events or the refusal with its reason. Pure: ``evolve`` and ``decide`` of ``domain``.
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
    TimelineStep,
)
from guichet_core.dossier_rules import ReasonsMissing
from guichet_residence_decision import domain
from guichet_residence_decision.domain import (
    AuthoriseResidence,
    Command,
    Dossier,
    EndStay,
    Refused,
    RefuseResidence,
    ResidenceDecisionReasonRecorded,
    Status,
    WithdrawPermit,
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


def authorise(valid_from: date = WORK_FROM, valid_until: date = WORK_UNTIL) -> AuthoriseResidence:
    return AuthoriseResidence(
        application_id=DOSSIER, now=T0, valid_from=valid_from, valid_until=valid_until
    )


REFUSE = RefuseResidence(application_id=DOSSIER, now=T0, reasons="why")
WITHDRAW = WithdrawPermit(application_id=DOSSIER, now=T0, reasons="why")
END_STAY = EndStay(application_id=DOSSIER, now=T0, reasons="why")


def when(state: Dossier, command: Command) -> list[DomainEvent]:
    """The events ``command`` yields on ``state`` (reasons come sealed, as the handler seals)."""
    return domain.decide(state, command, sealed=SEALED_REASON)


def granted() -> Dossier:
    return state_after([*history(), *when(state_after(history()), authorise())])


def test_a_dossier_awaits_the_work_decision_of_the_region_first_art_12_1() -> None:
    before_work = state_after(history()[:2])
    assert before_work.status is Status.AWAITING_WORK_DECISION
    with pytest.raises(Refused, match="region has not authorised the work yet"):
        when(before_work, authorise())
    assert state_after(history()).status is Status.AWAITING_RESIDENCE_DECISION


@pytest.mark.parametrize(
    "kind", [ApplicationKind.WORK_AUTHORISATION, ApplicationKind.PROFESSIONAL_CARD]
)
def test_only_a_single_permit_has_a_residence_part_art_2_1_1(kind: ApplicationKind) -> None:
    with pytest.raises(Refused, match="no residence part"):
        when(state_after(history(kind)), authorise())


def test_residence_and_work_granted_make_one_single_permit_act_art_2_1_1_a() -> None:
    residence, permit = when(state_after(history()), authorise())
    assert isinstance(residence, ResidenceAuthorised)
    assert isinstance(permit, SinglePermitGranted)
    assert permit.act_number == f"SP-{DOSSIER.hex[:12].upper()}"
    assert granted().status is Status.GRANTED


def test_the_single_permit_lasts_no_longer_than_the_work_authorisation() -> None:
    longer = WORK_UNTIL + timedelta(days=365)
    _, permit = when(state_after(history()), authorise(valid_until=longer))
    assert isinstance(permit, SinglePermitGranted)
    assert permit.valid_until == WORK_UNTIL


def test_residence_is_authorised_for_a_period_that_ends_after_it_starts() -> None:
    with pytest.raises(Refused, match="end after"):
        when(state_after(history()), authorise(valid_until=WORK_FROM))


def test_a_refusal_keeps_its_reason_with_the_office_and_shares_only_the_fact_art_24() -> None:
    reason, shared = when(state_after(history()), REFUSE)
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
        when(refused, REFUSE)


def test_only_a_granted_permit_is_withdrawn_art_18() -> None:
    with pytest.raises(Refused):
        when(state_after(history()), WITHDRAW)
    reason, withdrawn = when(granted(), WITHDRAW)
    assert isinstance(reason, ResidenceDecisionReasonRecorded)
    assert isinstance(withdrawn, AuthorisationWithdrawn)
    assert withdrawn.step is DecisionStep.RESIDENCE
    assert domain.evolve(granted(), withdrawn, at=T0).status is Status.WITHDRAWN


def test_only_a_granted_permit_s_stay_is_ended_art_18() -> None:
    with pytest.raises(Refused):
        when(state_after(history()), END_STAY)
    _, ended = when(granted(), END_STAY)
    assert isinstance(ended, StayEnded)
    assert domain.evolve(granted(), ended, at=T0).status is Status.STAY_ENDED
    with pytest.raises(Refused, match="stay_ended"):
        when(domain.evolve(granted(), ended, at=T0), WITHDRAW)


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


def test_a_negative_decision_of_the_office_states_its_reasons_art_24() -> None:
    with pytest.raises(ReasonsMissing):
        RefuseResidence(application_id=DOSSIER, now=T0, reasons="")
    with pytest.raises(ReasonsMissing):
        domain.decide(state_after(history()), REFUSE, sealed=None)


def test_a_withdrawal_and_an_end_of_stay_keep_their_reasons_with_the_office_art_24() -> None:
    for command in (WITHDRAW, END_STAY):
        reason, _ = when(granted(), command)
        assert isinstance(reason, ResidenceDecisionReasonRecorded)
        assert domain.PRIVATE.knows(reason.event_type)  # never published


def test_the_timeline_names_each_step_with_the_shared_step_names() -> None:
    steps = [name for name, _ in granted().history]
    assert steps == [
        TimelineStep.FILED,
        TimelineStep.ADMISSIBLE,
        TimelineStep.WORK_AUTHORISED,
        TimelineStep.RESIDENCE_AUTHORISED,
        TimelineStep.SINGLE_PERMIT_GRANTED,
    ]
    _, withdrawn = when(granted(), WITHDRAW)
    assert domain.evolve(granted(), withdrawn, at=T0).history[-1][0] is (
        TimelineStep.RESIDENCE_WITHDRAWN
    )


def test_a_refusal_by_the_region_names_the_region_s_step_in_the_timeline() -> None:
    refusal = NegativeDecisionTaken(
        application_id=DOSSIER,
        step=DecisionStep.ADMISSIBILITY,
        authority=CompetentAuthority.WALLONIA,
        decided_at=T0,
    )
    last = state_after([*history()[:1], refusal]).history[-1][0]
    assert last is TimelineStep.ADMISSIBILITY_REFUSED
