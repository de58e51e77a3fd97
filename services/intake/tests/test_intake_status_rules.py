"""What the applicant sees (Art. 20 §5, Art. 24) and the 90-day clock of Directive (EU)
2024/1233 on it: given the events of every deciding service, then the status, the
timeline and the decision deadline. Pure: ``status.start``, ``apply`` and ``present``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from guichet_contracts import (
    ApplicationDeclaredAdmissible,
    ApplicationFiled,
    DocumentReference,
    DomainEvent,
    NegativeDecisionTaken,
    SinglePermitGranted,
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
from guichet_intake import status

APPLICATION = uuid.UUID(int=20)
BXL = CompetentAuthority.BRUSSELS
DAY_ONE = datetime(2027, 1, 4, 8, tzinfo=UTC)  # filed; admissible the next day


def seen(*events: DomainEvent, kind: str = "single_permit", today: date) -> dict[str, Any]:
    """The applicant's view on ``today`` of the filing followed by ``events``, the n-th of
    them recorded n days after the filing."""
    filing = ApplicationFiled(
        application_id=APPLICATION,
        kind=ApplicationKind(kind),
        category=ApplicantCategory.GENERAL,
        competent_authority=BXL,
        workplace_postcode="1000",
        filed_by=FilerRole.EMPLOYER,
        filed_at=DAY_ONE,
    )
    view = status.start(filing)
    for days, event in enumerate(events, start=1):
        view = status.apply(view, event, at=DAY_ONE + timedelta(days=days))
    return status.present(view, today=today)


ADMISSIBLE = ApplicationDeclaredAdmissible(
    application_id=APPLICATION, authority=BXL, decided_at=DAY_ONE
)
ASKED = SupplementaryDocumentsRequested(
    application_id=APPLICATION,
    request_id="rq",
    authority=BXL,
    document_kinds=(DocumentKind.PHOTO,),
    due_on=date(2027, 2, 1),
    requested_at=DAY_ONE,
)
PHOTO = DocumentReference(
    document_id="ph",
    kind=DocumentKind.PHOTO,
    media_type="image/jpeg",
    size_bytes=3,
    sha256="a" * 64,
)
WORK = WorkAuthorised(
    application_id=APPLICATION,
    authority=BXL,
    valid_from=date(2027, 3, 1),
    valid_until=date(2028, 3, 1),
    decided_at=DAY_ONE,
)


def supplied(request_id: str) -> SupplementaryDocumentsSupplied:
    return SupplementaryDocumentsSupplied(
        application_id=APPLICATION, request_id=request_id, documents=(PHOTO,), supplied_at=DAY_ONE
    )


def test_a_filed_application_has_no_deadline_until_it_is_complete() -> None:
    view = seen(today=date(2027, 1, 10))
    assert view["status"] == "filed"
    assert view["decision_due_on"] is None and not view["clock_running"]


def test_the_decision_is_due_ninety_days_after_admissibility() -> None:
    view = seen(ADMISSIBLE, today=date(2027, 1, 15))
    assert view["status"] == "under_examination"
    assert view["decision_due_on"] == date(2027, 4, 5)  # 5 January + 90 days
    assert view["days_left"] == 80 and view["clock_running"]


def test_a_request_for_documents_pauses_the_clock_and_tells_what_is_asked_art_20_4() -> None:
    view = seen(ADMISSIBLE, ASKED, today=date(2027, 1, 16))
    assert view["status"] == "documents_requested" and not view["clock_running"]
    assert view["requested_documents"] == ["photo"] and view["open_request"] == "rq"


def test_supplied_documents_resume_the_step_and_move_the_deadline_art_20_4() -> None:
    view = seen(ADMISSIBLE, ASKED, supplied("rq"), today=date(2027, 1, 20))
    assert view["status"] == "under_examination" and view["clock_running"]
    assert view["decision_due_on"] == date(2027, 4, 6)  # one day suspended
    assert view["open_request"] is None


def test_documents_for_another_request_change_nothing() -> None:
    view = seen(ADMISSIBLE, ASKED, supplied("other"), today=date(2027, 1, 20))
    assert view["status"] == "documents_requested"


def test_work_authorised_on_a_single_permit_leaves_the_residence_part_and_the_clock() -> None:
    view = seen(ADMISSIBLE, WORK, today=date(2027, 1, 20))
    assert view["status"] == "residence_examination" and view["clock_running"]


def test_work_authorised_ends_a_work_authorisation_and_stops_the_clock() -> None:
    view = seen(ADMISSIBLE, WORK, kind="work_authorisation", today=date(2027, 1, 20))
    assert view["status"] == "work_authorised" and not view["clock_running"]


def test_a_refusal_shows_who_refused_which_step_and_never_why_art_24() -> None:
    refusal = NegativeDecisionTaken(
        application_id=APPLICATION, step=DecisionStep.WORK, authority=BXL, decided_at=DAY_ONE
    )
    view = seen(ADMISSIBLE, refusal, today=date(2027, 1, 20))
    assert view["status"] == "refused" and not view["clock_running"]
    assert (view["timeline"][-1]["step"], view["timeline"][-1]["by"]) == ("work_refused", "BXL")
    assert "reason" not in str(view)


def test_the_single_permit_granted_by_the_office_ends_the_procedure() -> None:
    permit = SinglePermitGranted(
        application_id=APPLICATION,
        act_number="SP",
        granted_at=DAY_ONE,
        valid_from=date(2027, 3, 1),
        valid_until=date(2028, 3, 1),
    )
    view = seen(ADMISSIBLE, WORK, permit, today=date(2027, 1, 20))
    assert view["status"] == "single_permit_granted" and not view["clock_running"]
    assert [step["step"] for step in view["timeline"]] == [
        "filed",
        "admissible",
        "work_authorised",
        "single_permit_granted",
    ]
    assert [step["days"] for step in view["timeline"]] == [1, 1, 1, 13]
