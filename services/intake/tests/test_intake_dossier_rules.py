"""Intake's decisions on a dossier, as specifications: given its events, when a command,
then the events it makes, or the rule it breaks (Art. 9, Art. 18, Art. 19-20 §4).

``decide`` is pure: the sealed personal part and the references of the stored documents
are what the handler adds once the rules passed (``Stored``); here they are made up.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime
from functools import reduce
from typing import Any

import pytest
from intake_forms import TODAY, complete_form, with_changes

from guichet_contracts import (
    ApplicationFiled,
    DocumentReference,
    DomainEvent,
    SealedData,
    SupplementaryDocumentsRequested,
    SupplementaryDocumentsSupplied,
)
from guichet_contracts.vocabulary import CompetentAuthority, DocumentKind
from guichet_intake.domain import (
    NOT_FILED,
    Dossier,
    FileApplication,
    FilingRejected,
    Stored,
    SupplyDocuments,
    decide,
    evolve,
)
from guichet_intake.requests import ApplicationForm

DOSSIER = uuid.UUID("00000000-0000-4000-8000-000000000001")
NOW = datetime(2027, 6, 1, 9, 30, tzinfo=UTC)
SEALED = SealedData(key_id=str(DOSSIER), alg="AES-256-GCM", nonce="bm9uY2U=", ciphertext="c2VhbGVk")
PASSPORT = DocumentReference(
    document_id="d1",
    kind=DocumentKind.PASSPORT,
    media_type="application/pdf",
    size_bytes=5,
    sha256="0" * 64,
)


def given(events: Iterable[DomainEvent]) -> Dossier:
    return reduce(evolve, events, NOT_FILED)


def filing(changes: dict[str, Any] | None = None) -> FileApplication:
    form = ApplicationForm.model_validate(with_changes(complete_form(), changes or {}))
    return FileApplication(form=form, filer="85073003328", today=TODAY, filed_at=NOW)


def filed() -> ApplicationFiled:
    [event] = decide(NOT_FILED, filing(), Stored(DOSSIER, (PASSPORT,), dossier=SEALED))
    assert isinstance(event, ApplicationFiled)
    return event


def requested(request_id: str) -> SupplementaryDocumentsRequested:
    return SupplementaryDocumentsRequested(
        application_id=DOSSIER,
        authority=CompetentAuthority.FLANDERS,
        request_id=request_id,
        document_kinds=(DocumentKind.DIPLOMA,),
        due_on=date(2027, 7, 1),
        requested_at=NOW,
    )


def supply(request_id: str) -> SupplyDocuments:
    return SupplyDocuments(
        application_id=DOSSIER,
        request_id=request_id,
        uploads=(),
        supplier="85073003328",
        supplied_at=NOW,
    )


def test_a_filing_is_routed_to_the_region_of_the_place_of_work_art_9() -> None:
    event = filed()
    assert event.competent_authority is CompetentAuthority.FLANDERS  # Antwerp, 2000
    assert (event.application_id, event.filed_at) == (DOSSIER, NOW)


def test_a_filing_carries_its_personal_part_sealed_and_its_documents_by_reference_art_19() -> None:
    event = filed()
    assert event.dossier == SEALED
    assert event.documents == (PASSPORT,)
    assert event.employer_enterprise_number == "0403019261"  # the one clear party: routing


def test_a_refused_filing_makes_no_event_art_18() -> None:
    with pytest.raises(FilingRejected) as refusal:
        decide(NOT_FILED, filing({"fee_payment_reference": None}), Stored(DOSSIER, ()))
    assert refusal.value.field == "fee_payment_reference"


def test_documents_answer_the_open_request_art_20_4() -> None:
    state = given([filed(), requested("r1")])
    [event] = decide(state, supply("r1"), Stored(DOSSIER, (PASSPORT,)))
    assert isinstance(event, SupplementaryDocumentsSupplied)
    assert (event.request_id, event.documents, event.supplied_at) == ("r1", (PASSPORT,), NOW)


@pytest.mark.parametrize(
    "history",
    [
        pytest.param(lambda: [filed()], id="nothing-asked"),
        pytest.param(lambda: [filed(), requested("r2")], id="another-request"),
        pytest.param(
            lambda: [
                filed(),
                requested("r1"),
                *decide(
                    given([filed(), requested("r1")]), supply("r1"), Stored(DOSSIER, (PASSPORT,))
                ),
            ],
            id="already-answered",
        ),
        pytest.param(lambda: [], id="unknown-dossier"),
    ],
)
def test_documents_are_supplied_only_for_a_request_still_open_art_20_4(history: Any) -> None:
    with pytest.raises(FilingRejected) as refusal:
        decide(given(history()), supply("r1"), Stored(DOSSIER, (PASSPORT,)))
    assert refusal.value.field == "request_id"


def test_the_latest_request_for_documents_is_the_open_one_art_20_4() -> None:
    assert given([filed(), requested("r1"), requested("r2")]).open_request == "r2"
