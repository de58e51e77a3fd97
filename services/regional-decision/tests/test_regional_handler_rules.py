"""The region's handlers, on in-memory fakes (STYLE 10): the order of a decision.

Given a dossier in the streams, when a handler runs a command, then what it sealed and
what it appended (published or kept private). Art. 9: only the competent region
decides, and nothing is sealed for a caller who is not; Art. 24: a negative decision's
reasons stay in this service's store.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest

from guichet_contracts import ApplicationFiled, NegativeDecisionTaken, SealedData
from guichet_contracts.vocabulary import (
    ApplicantCategory,
    ApplicationKind,
    CompetentAuthority,
    DecisionStep,
    DocumentKind,
    FilerRole,
)
from guichet_core.deciding import StaleDossier
from guichet_core.dossier_rules import DecisionIncomplete, ReasonsMissing, UnknownDossier
from guichet_core.http.problems import PROBLEMS
from guichet_core.testing.deciding import FakeRuntime, no_projection
from guichet_regional_decision import api, domain, handlers, messages
from guichet_regional_decision.domain import DecisionReasonRecorded, NotCompetent, Refuse

ID = uuid.UUID(int=21)
NOW = datetime(2027, 3, 1, 9, tzinfo=UTC)
VLG, WAL = CompetentAuthority.FLANDERS, CompetentAuthority.WALLONIA


@pytest.fixture(autouse=True)
def no_queue(monkeypatch: pytest.MonkeyPatch) -> None:
    """The queue is a projection tested on a real database; here it is left out."""
    fake = dataclasses.replace(handlers.DOSSIERS, project=no_projection)
    monkeypatch.setattr(handlers, "DOSSIERS", fake)


SEALED = SealedData(key_id=str(ID), alg="AES-256-GCM", nonce="AA", ciphertext="AA")
FILED = ApplicationFiled(
    application_id=ID,
    kind=ApplicationKind.SINGLE_PERMIT,
    category=ApplicantCategory.GENERAL,
    competent_authority=VLG,
    workplace_postcode="2000",
    filed_by=FilerRole.EMPLOYER,
    filed_at=NOW,
)


def filed_runtime() -> FakeRuntime:
    runtime = FakeRuntime(topic="guichet.regional-decision.v1")
    runtime.uow.given(FILED)
    return runtime


def filed_state() -> domain.Dossier:
    return domain.evolve(None, FILED, at=NOW)


def at_vlg() -> dict[str, Any]:
    return {"application_id": ID, "authority": VLG, "now": NOW}


def inadmissible(authority: CompetentAuthority = VLG, **more: Any) -> Refuse:
    return Refuse(
        application_id=ID,
        authority=authority,
        now=NOW,
        step=DecisionStep.ADMISSIBILITY,
        reasons="the fee is not paid",
        **more,
    )


async def test_a_region_not_competent_is_refused_before_anything_is_sealed_art_9() -> None:
    runtime = filed_runtime()
    with pytest.raises(NotCompetent):
        await handlers.handle(runtime, inadmissible(WAL))
    assert runtime.vault.sealed == [] and runtime.uow.published == []


async def test_a_refusal_on_an_unknown_dossier_seals_nothing_gdpr_art_5() -> None:
    runtime = FakeRuntime()
    with pytest.raises(UnknownDossier):
        await handlers.handle(runtime, inadmissible())
    assert runtime.vault.sealed == []  # no data key made for an id nobody filed


async def test_a_refusal_on_an_older_version_seals_nothing() -> None:
    runtime = filed_runtime()
    with pytest.raises(StaleDossier):
        await handlers.handle(runtime, inadmissible(expected_version=7))
    assert runtime.vault.sealed == []


async def test_a_refusal_publishes_the_fact_and_keeps_its_sealed_reasons_art_24() -> None:
    runtime = filed_runtime()
    after = await handlers.handle(runtime, inadmissible(expected_version=1))
    assert runtime.vault.sealed == [(str(ID), {"reasons": "the fee is not paid"})]
    assert runtime.uow.published == [
        (DecisionReasonRecorded.event_type, None),  # never leaves this service
        (NegativeDecisionTaken.event_type, "guichet.regional-decision.v1"),
    ]
    assert after.status is domain.Status.REFUSED and after.version == 3


async def test_a_positive_decision_seals_nothing_art_12_1() -> None:
    runtime = filed_runtime()
    admit = domain.DeclareAdmissible(application_id=ID, authority=VLG, now=NOW)
    after = await handlers.handle(runtime, admit)
    assert runtime.vault.sealed == [] and after.status is domain.Status.UNDER_EXAMINATION
    ask = domain.RequestDocuments(
        application_id=ID,
        authority=VLG,
        now=NOW,
        document_kinds=(DocumentKind.DIPLOMA,),
        due_on=date(2027, 4, 1),
        explanation="the diploma",
    )
    assert (await handlers.handle(runtime, ask)).status is domain.Status.AWAITING_DOCUMENTS


def test_every_command_a_region_can_ask_has_its_handler() -> None:
    commands = {
        kind
        for kind in vars(domain).values()
        if isinstance(kind, type)
        and issubclass(kind, domain.Command)
        and kind not in (domain.Command, domain.Reasoned)
    }
    assert set(handlers.COMMAND_HANDLERS) == commands


def test_a_request_for_documents_tells_the_applicant_why_which_and_by_when_art_20_4() -> None:
    ask = domain.RequestDocuments(
        application_id=ID,
        authority=VLG,
        now=NOW,
        document_kinds=(DocumentKind.DIPLOMA, DocumentKind.PHOTO),
        due_on=date(2027, 4, 1),
        explanation="the diploma is unreadable",
    )
    assert messages.documents_details(ask) == (
        "the diploma is unreadable\n\ndiploma, photo\nDue: 2027-04-01"
    )


def test_every_decision_of_the_region_is_told_in_the_four_languages_art_20_5() -> None:
    decided = [
        *domain.decide(filed_state(), inadmissible(), sealed=SEALED),
        *domain.decide(filed_state(), domain.DeclareAdmissible(**at_vlg())),
    ]
    notices = [messages.notice_of(event) for event in decided]
    assert notices == [None, "inadmissible", "admissible"]  # the private reason: no notice
    for notice in {*messages.SUBJECTS}:
        assert set(messages.SUBJECTS[notice]) == {"fr", "nl", "de", "en"}


def test_an_authorisation_states_its_validity_period_before_anything_is_done() -> None:
    body = api.WorkDecision(authorised=True, valid_from=date(2027, 4, 1))
    with pytest.raises(DecisionIncomplete, match="valid_from and valid_until"):
        body.period("an authorisation")


@pytest.mark.parametrize(
    ("refusal", "status"),
    [
        (UnknownDossier("no dossier"), 404),
        (NotCompetent("BXL decides"), 403),
        (domain.Refused("the dossier is refused"), 409),
        (ReasonsMissing("no reasons"), 422),
        (StaleDossier(str(ID), 1, 2), 409),
    ],
    ids=lambda value: type(value).__name__,
)
def test_each_refusal_of_a_decision_has_one_status_in_the_central_mapping(
    refusal: Exception, status: int
) -> None:
    [problem] = [p for kind, p in PROBLEMS.items() if isinstance(refusal, kind)]
    assert problem.status == status
