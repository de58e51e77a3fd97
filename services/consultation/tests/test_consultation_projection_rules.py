"""The consultation view of a dossier, as a specification: given events, then the view.

The view holds what the events hold and nothing more: of a negative decision only that it
was taken (Art. 24), decisions with their dates, the timeline in time order whatever the
order the topics were read in. Who reads which part is the policy's (test_policy.py).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from guichet_consultation.domain import NothingToSearch, SearchDossiers, outcome_of
from guichet_consultation.projection import FOLLOWED, View, apply, empty
from guichet_contracts import (
    ApplicationDeclaredAdmissible,
    ApplicationFiled,
    AuthorisationWithdrawn,
    DomainEvent,
    NegativeDecisionTaken,
    WorkAuthorised,
)
from guichet_contracts.vocabulary import Authority
from guichet_core.http.auth import Caller

DOSSIER = uuid.uuid4()


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


def admissible() -> ApplicationDeclaredAdmissible:
    return ApplicationDeclaredAdmissible(
        application_id=DOSSIER, authority="VLG", decided_at=at("2026-09-10")
    )


def work_refused() -> NegativeDecisionTaken:
    return NegativeDecisionTaken(
        application_id=DOSSIER, step="work", authority="VLG", decided_at=at("2026-10-01")
    )


def given(*events: tuple[DomainEvent, str]) -> View:
    """The view after each (event, day it was published), in that order."""
    view = empty(str(DOSSIER))
    for number, (event, day) in enumerate(events):
        view = apply(view, event, event_id=f"e{number}", at=at(day))
    return view


def test_a_filing_makes_the_dossier_known_with_its_routing_facts() -> None:
    view = given((filed(), "2026-09-01"))
    assert view["filed"] and view["status"] == "filed"
    assert (view["kind"], view["category"], view["competent_authority"]) == (
        "single_permit",
        "general",
        "VLG",
    )
    assert view["timeline"] == [
        {"step": "filed", "by": "applicant", "at": at("2026-09-01").isoformat()}
    ]


def test_a_negative_decision_is_kept_only_as_having_been_taken_art_24() -> None:
    view = given(
        (filed(), "2026-09-01"), (admissible(), "2026-09-10"), (work_refused(), "2026-10-01")
    )
    (flag,) = view["negative_decisions"]
    assert flag == {"step": "work", "authority_kind": "region", "at": at("2026-10-01").isoformat()}
    assert view["status"] == "refused"


def test_the_timeline_is_in_time_order_whatever_the_order_read_and_the_status_follows_it() -> None:
    # Topics are read independently (Art. 9: each authority publishes its own decisions).
    view = given((admissible(), "2026-09-10"), (filed(), "2026-09-01"))
    assert [entry["step"] for entry in view["timeline"]] == ["filed", "admissible"]
    assert view["status"] == "under_examination"


def test_a_work_authorisation_is_a_regional_decision_with_its_validity() -> None:
    granted = WorkAuthorised(
        application_id=DOSSIER,
        authority="VLG",
        valid_from=date(2026, 11, 1),
        valid_until=date(2027, 10, 31),
        decided_at=at("2026-10-15"),
    )
    view = given((filed(), "2026-09-01"), (granted, "2026-10-15"))
    (decision,) = view["regional_decisions"]
    assert decision["decision"] == "work_authorised"
    assert (decision["valid_from"], decision["valid_until"]) == ("2026-11-01", "2027-10-31")
    assert view["status"] == "work_authorised"


def test_a_withdrawal_says_by_whom_and_when_and_the_dossier_is_withdrawn() -> None:
    withdrawn = AuthorisationWithdrawn(
        application_id=DOSSIER, step="work", authority="VLG", withdrawn_at=at("2027-01-05")
    )
    view = given((filed(), "2026-09-01"), (withdrawn, "2027-01-05"))
    assert view["withdrawals"] == [
        {"step": "work", "authority": "VLG", "at": at("2027-01-05").isoformat()}
    ]
    assert view["status"] == "withdrawn"


def test_the_same_event_twice_changes_nothing_so_a_rebuild_may_replay_it() -> None:
    once = given((filed(), "2026-09-01"))
    assert apply(once, filed(), event_id="e0", at=at("2026-09-01")) is once


def test_every_followed_event_has_its_applier() -> None:
    assert ApplicationFiled in FOLLOWED and NegativeDecisionTaken in FOLLOWED
    assert len(set(FOLLOWED)) == len(FOLLOWED) == 16


# What a consultation records in the person's access log (Art. 29)


def test_a_consultation_that_read_nothing_is_a_denial_art_29() -> None:
    assert outcome_of([], ["identification"]) == "denied"


def test_a_consultation_that_read_part_of_the_dossier_is_partial_art_29() -> None:
    assert outcome_of(["summary"], ["health"]) == "partial"
    assert outcome_of(["summary"], []) == "allowed"


def test_a_search_names_a_niss_or_an_enterprise_number() -> None:
    caller = Caller(subject="agent", authority=Authority.VLG, agent_id="agent-1")
    with pytest.raises(NothingToSearch):
        SearchDossiers(caller, None, None, None, at("2026-12-03"))
