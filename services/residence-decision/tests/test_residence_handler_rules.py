"""The Office's handlers, on in-memory fakes (STYLE 10): the order of a decision.

Given a dossier in the streams, when a handler runs a command, then what it sealed and
what it appended. Art. 24: a negative decision's reasons are sealed only once the
dossier is found, and stay in this service's store.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, date, datetime

import pytest

from guichet_contracts import (
    ApplicationDeclaredAdmissible,
    ApplicationFiled,
    NegativeDecisionTaken,
    ResidenceAuthorised,
    SinglePermitGranted,
    WorkAuthorised,
)
from guichet_contracts.vocabulary import (
    ApplicantCategory,
    ApplicationKind,
    CompetentAuthority,
    FilerRole,
)
from guichet_core.dossier_rules import UnknownDossier
from guichet_core.testing.deciding import FakeRuntime, no_projection
from guichet_residence_decision import domain, handlers
from guichet_residence_decision.domain import ResidenceDecisionReasonRecorded

ID = uuid.UUID(int=31)
NOW = datetime(2027, 5, 3, 10, tzinfo=UTC)
TOPIC = "guichet.residence-decision.v1"
REFUSE = domain.RefuseResidence(application_id=ID, now=NOW, reasons="no means of subsistence")


@pytest.fixture(autouse=True)
def no_queue(monkeypatch: pytest.MonkeyPatch) -> None:
    """The queue is a projection tested on a real database; here it is left out."""
    fake = dataclasses.replace(handlers.DOSSIERS, project=no_projection)
    monkeypatch.setattr(handlers, "DOSSIERS", fake)


def work_authorised() -> FakeRuntime:
    region = CompetentAuthority.WALLONIA
    runtime = FakeRuntime(topic=TOPIC)
    runtime.uow.given(
        ApplicationFiled(
            application_id=ID,
            kind=ApplicationKind.SINGLE_PERMIT,
            category=ApplicantCategory.GENERAL,
            competent_authority=region,
            workplace_postcode="4000",
            filed_by=FilerRole.EMPLOYER,
            filed_at=NOW,
        ),
        ApplicationDeclaredAdmissible(application_id=ID, authority=region, decided_at=NOW),
        WorkAuthorised(
            application_id=ID,
            authority=region,
            valid_from=date(2027, 7, 1),
            valid_until=date(2029, 6, 30),
            decided_at=NOW,
        ),
    )
    return runtime


async def test_a_refusal_on_an_unknown_dossier_seals_nothing_gdpr_art_5() -> None:
    runtime = FakeRuntime(topic=TOPIC)
    with pytest.raises(UnknownDossier):
        await handlers.handle(runtime, REFUSE)
    assert runtime.vault.sealed == []


async def test_a_refusal_publishes_the_fact_and_keeps_its_sealed_reasons_art_24() -> None:
    runtime = work_authorised()
    after = await handlers.handle(runtime, REFUSE)
    assert runtime.vault.sealed == [(str(ID), {"reasons": "no means of subsistence"})]
    assert runtime.uow.published == [
        (ResidenceDecisionReasonRecorded.event_type, None),  # never leaves the Office
        (NegativeDecisionTaken.event_type, TOPIC),
    ]
    assert after.status is domain.Status.REFUSED


async def test_residence_authorised_grants_the_single_permit_in_one_decision_art_2_1_1_a() -> None:
    runtime = work_authorised()
    authorise = domain.AuthoriseResidence(
        application_id=ID, now=NOW, valid_from=date(2027, 7, 1), valid_until=date(2029, 6, 30)
    )
    after = await handlers.handle(runtime, authorise)
    assert runtime.vault.sealed == []
    assert runtime.uow.published == [
        (ResidenceAuthorised.event_type, TOPIC),
        (SinglePermitGranted.event_type, TOPIC),
    ]
    assert after.status is domain.Status.GRANTED


def test_every_command_the_office_can_ask_has_its_handler() -> None:
    commands = {
        kind
        for kind in vars(domain).values()
        if isinstance(kind, type)
        and issubclass(kind, domain.Command)
        and kind not in (domain.Command, domain.Reasoned)
    }
    assert set(handlers.COMMAND_HANDLERS) == commands
