"""Data-subject requests (Art. 28-29): routing, the one-month deadline, acknowledgment,
overdue flag and a single answer."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from guichet_retention.acknowledgment import acknowledgment
from guichet_retention.rights import (
    LANGUAGES,
    Concern,
    RightKind,
    RightsError,
    RightsRequest,
    answer,
    controller_for,
    is_overdue,
    one_month_after,
    receipt_date,
    receive,
)

RECEIVED = datetime(2025, 1, 31, 10, 0, tzinfo=UTC)


def new_request(**changes: object) -> RightsRequest:
    fields: dict[str, object] = {
        "request_id": "R-1",
        "dossier_id": "D-1",
        "subject_index": "a" * 64,
        "kind": RightKind.RECTIFICATION,
        "concern": Concern.WORK,
        "competent_region": "WAL",
        "details": "Mon adresse a changé : 12 rue Haute, 5000 Namur.",
        "received_at": RECEIVED,
    }
    fields.update(changes)
    return receive(**fields)  # type: ignore[arg-type]


# --- routing (Art. 7, 29 §2-3) -----------------------------------------------------------


@pytest.mark.parametrize("region", ["VLG", "WAL", "BXL", "DG"])
def test_work_and_professional_card_requests_go_to_the_competent_region(region: str) -> None:
    assert controller_for(Concern.WORK, region) == region
    assert controller_for(Concern.PROFESSIONAL_CARD, region) == region
    assert controller_for("work", region) == region


@pytest.mark.parametrize("region", ["VLG", "WAL", "BXL", "DG"])
def test_residence_requests_go_to_the_immigration_office(region: str) -> None:
    assert controller_for(Concern.RESIDENCE, region) == "OE"


@pytest.mark.parametrize("region", ["OE", "", "wal", "FED"])
def test_work_requests_need_a_region(region: str) -> None:
    with pytest.raises(RightsError):
        controller_for(Concern.WORK, region)


def test_unknown_concern_is_refused() -> None:
    with pytest.raises(RightsError):
        controller_for("pension", "WAL")


def test_receive_routes_and_sets_the_due_date() -> None:
    request = new_request(concern=Concern.RESIDENCE, competent_region="VLG")
    assert request.controller == "OE"
    assert request.status == "received"
    assert request.due_on == date(2025, 2, 28)
    assert request.answered_at is None and request.outcome is None and request.answer is None


def test_a_request_names_a_controller_that_matches_its_concern() -> None:
    request = new_request()
    with pytest.raises(RightsError):
        replace(request, controller="OE")
    with pytest.raises(RightsError):
        replace(request, concern=Concern.RESIDENCE)


@pytest.mark.parametrize(
    "changes",
    [
        {"kind": "portability"},
        {"details": "   "},
        {"details": "x" * 20_001},
        {"received_at": datetime(2025, 1, 31, 10, 0)},
        {"subject_index": ""},
    ],
)
def test_receive_refuses_bad_input(changes: dict[str, object]) -> None:
    with pytest.raises(RightsError):
        new_request(**changes)


def test_the_five_rights_of_article_29() -> None:
    assert {kind.value for kind in RightKind} == {
        "access",
        "rectification",
        "erasure",
        "restriction",
        "objection",
    }


# --- the one-month deadline (GDPR Art. 12(3)) ---------------------------------------------


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (date(2025, 1, 15), date(2025, 2, 15)),  # same day of the next month
        (date(2025, 1, 1), date(2025, 2, 1)),
        (date(2025, 1, 28), date(2025, 2, 28)),
        (date(2025, 1, 29), date(2025, 2, 28)),  # no 29 February in 2025
        (date(2025, 1, 30), date(2025, 2, 28)),
        (date(2025, 1, 31), date(2025, 2, 28)),
        (date(2024, 1, 29), date(2024, 2, 29)),  # leap year
        (date(2024, 1, 30), date(2024, 2, 29)),
        (date(2024, 1, 31), date(2024, 2, 29)),
        (date(2028, 1, 31), date(2028, 2, 29)),
        (date(2100, 1, 31), date(2100, 2, 28)),  # not a leap year (century)
        (date(2000, 1, 31), date(2000, 2, 29)),  # a leap year (400)
        (date(2024, 2, 29), date(2024, 3, 29)),
        (date(2025, 2, 28), date(2025, 3, 28)),
        (date(2025, 3, 31), date(2025, 4, 30)),  # 30-day month
        (date(2025, 3, 30), date(2025, 4, 30)),
        (date(2025, 5, 31), date(2025, 6, 30)),
        (date(2025, 8, 31), date(2025, 9, 30)),
        (date(2025, 10, 31), date(2025, 11, 30)),
        (date(2025, 4, 30), date(2025, 5, 30)),  # 31-day month after a 30-day one
        (date(2025, 7, 31), date(2025, 8, 31)),
        (date(2025, 12, 31), date(2026, 1, 31)),  # across the year
        (date(2025, 12, 1), date(2026, 1, 1)),
        (date(2025, 11, 30), date(2025, 12, 30)),
    ],
)
def test_one_month_after(received: date, due: date) -> None:
    assert one_month_after(received) == due


def test_one_month_is_never_shorter_than_28_nor_longer_than_31_days() -> None:
    day = date(2023, 1, 1)
    while day < date(2029, 1, 1):
        due = one_month_after(day)
        assert 28 <= (due - day).days <= 31
        assert due.month == day.month % 12 + 1
        day += timedelta(days=1)


def test_the_day_of_receipt_is_the_day_in_brussels() -> None:
    # 23:30 UTC on 31 January is 00:30 on 1 February in Brussels (UTC+1).
    late = datetime(2025, 1, 31, 23, 30, tzinfo=UTC)
    assert receipt_date(late) == date(2025, 2, 1)
    assert new_request(received_at=late).due_on == date(2025, 3, 1)
    # Summer time: 22:30 UTC on 30 June is 00:30 on 1 July (UTC+2).
    assert receipt_date(datetime(2025, 6, 30, 22, 30, tzinfo=UTC)) == date(2025, 7, 1)
    assert receipt_date(datetime(2025, 6, 30, 21, 59, tzinfo=UTC)) == date(2025, 6, 30)


# --- overdue ----------------------------------------------------------------------------


def test_overdue_the_day_after_the_due_date_not_on_it() -> None:
    request = new_request()  # received 31 January 2025, due 28 February 2025
    assert not is_overdue(request, date(2025, 2, 27))
    assert not is_overdue(request, date(2025, 2, 28))
    assert is_overdue(request, date(2025, 3, 1))
    assert is_overdue(request, date(2025, 6, 1))


def test_an_answered_request_is_never_overdue() -> None:
    late = answer(new_request(), "granted", "Adresse corrigée.", datetime(2025, 3, 5, tzinfo=UTC))
    assert not is_overdue(late, date(2025, 3, 6))
    assert late.answered_late
    on_time = answer(new_request(), "granted", "Fait.", datetime(2025, 2, 28, 22, tzinfo=UTC))
    assert not on_time.answered_late  # 23:00 in Brussels, still 28 February


# --- answering --------------------------------------------------------------------------


def test_answer_records_outcome_text_and_date() -> None:
    at = datetime(2025, 2, 10, 9, 0, tzinfo=UTC)
    answered = answer(new_request(), "partially_granted", "Adresse corrigée ; le reste non.", at)
    assert answered.status == "answered"
    assert answered.outcome == "partially_granted"
    assert answered.answer == "Adresse corrigée ; le reste non."
    assert answered.answered_at == at
    assert not answered.is_open


def test_answering_twice_is_refused() -> None:
    at = datetime(2025, 2, 10, tzinfo=UTC)
    answered = answer(new_request(), "refused", "Les données sont exactes.", at)
    with pytest.raises(RightsError, match="already answered"):
        answer(answered, "granted", "Finalement oui.", at + timedelta(days=1))


@pytest.mark.parametrize("outcome", ["accepted", "", "GRANTED", "pending"])
def test_unknown_outcome_is_refused(outcome: str) -> None:
    with pytest.raises(RightsError):
        answer(new_request(), outcome, "Réponse.", datetime(2025, 2, 10, tzinfo=UTC))


def test_answer_needs_a_text_and_a_sensible_time() -> None:
    request = new_request()
    with pytest.raises(RightsError):
        answer(request, "refused", "  ", datetime(2025, 2, 10, tzinfo=UTC))
    with pytest.raises(RightsError):
        answer(request, "granted", "Fait.", datetime(2025, 1, 30, tzinfo=UTC))  # before receipt
    with pytest.raises(RightsError):
        answer(request, "granted", "Fait.", datetime(2025, 2, 10))  # naive


def test_a_request_is_consistent_with_its_status() -> None:
    request = new_request()
    with pytest.raises(RightsError):
        replace(request, outcome="granted")  # open with an outcome
    with pytest.raises(RightsError):
        replace(request, status="answered")  # answered without an answer
    with pytest.raises(RightsError):
        replace(request, status="closed")


@pytest.mark.parametrize(
    ("kind", "outcome", "purge"),
    [
        (RightKind.ERASURE, "granted", True),
        (RightKind.ERASURE, "partially_granted", False),
        (RightKind.ERASURE, "refused", False),
        (RightKind.RECTIFICATION, "granted", False),
        (RightKind.ACCESS, "granted", False),
    ],
)
def test_a_granted_erasure_requires_a_purge(kind: RightKind, outcome: str, purge: bool) -> None:
    request = new_request(kind=kind)
    assert not request.requires_purge
    answered = answer(request, outcome, "Décision.", datetime(2025, 2, 10, tzinfo=UTC))
    assert answered.requires_purge is purge


# --- the dated acknowledgment of receipt (Art. 29 §4) -------------------------------------


DUE_IN = {
    "fr": "28 février 2025",
    "nl": "28 februari 2025",
    "de": "28. Februar 2025",
    "en": "28 February 2025",
}
RECEIVED_IN = {
    "fr": "31 janvier 2025 à 11 h 00",
    "nl": "31 januari 2025 om 11.00 uur",
    "de": "31. Januar 2025 um 11:00 Uhr",
    "en": "31 January 2025 at 11:00",
}
CONTROLLER_IN = {
    "fr": ("Région wallonne", "Office des étrangers"),
    "nl": ("Waals Gewest", "Dienst Vreemdelingenzaken"),
    "de": ("Wallonische Region", "Ausländeramt"),
    "en": ("Walloon Region", "Immigration Office"),
}
RIGHT_IN = {
    "fr": "droit de rectification",
    "nl": "recht op rectificatie",
    "de": "Recht auf Berichtigung",
    "en": "right to rectification",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_acknowledgment_names_receipt_due_date_controller_and_right(language: str) -> None:
    request = new_request()
    ack = acknowledgment(request, language)
    assert ack.request_id == "R-1"
    assert ack.received_at == RECEIVED
    assert ack.controller == "WAL"
    assert ack.kind is RightKind.RECTIFICATION
    assert ack.due_on == date(2025, 2, 28)
    assert DUE_IN[language] in ack.text
    assert RECEIVED_IN[language] in ack.text  # dated, in Brussels time (UTC+1 in winter)
    assert CONTROLLER_IN[language][0] in ack.text
    assert RIGHT_IN[language] in ack.text
    assert "R-1" in ack.text
    assert "16" in ack.text  # GDPR Art. 16
    assert request.details not in ack.text  # the person's words stay out of it

    residence = acknowledgment(new_request(concern=Concern.RESIDENCE), language)
    assert residence.controller == "OE"
    assert CONTROLLER_IN[language][1] in residence.text


def test_acknowledgments_differ_by_language() -> None:
    texts = {acknowledgment(new_request(), language).text for language in LANGUAGES}
    assert len(texts) == 4


@pytest.mark.parametrize("kind", list(RightKind))
@pytest.mark.parametrize("region", ["VLG", "WAL", "BXL", "DG"])
def test_every_right_and_controller_has_an_acknowledgment(kind: RightKind, region: str) -> None:
    request = new_request(kind=kind, competent_region=region)
    for language in LANGUAGES:
        text = acknowledgment(request, language).text
        assert "{" not in text and "}" not in text
        assert DUE_IN[language] in text


def test_acknowledgment_refuses_an_unknown_language() -> None:
    with pytest.raises(RightsError):
        acknowledgment(new_request(), "es")
