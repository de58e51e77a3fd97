"""What the Office follows: single-permit filings and the region's decisions on them."""

from __future__ import annotations

from guichet_contracts import (
    ApplicationDeclaredAdmissible,
    ApplicationFiled,
    AuthorisationWithdrawn,
    CloudEventEnvelope,
    DomainEvent,
    NegativeDecisionTaken,
    SupplementaryDocumentsRequested,
    SupplementaryDocumentsSupplied,
    WorkAuthorised,
)
from guichet_contracts.topics import INTAKE_TOPIC, REGIONAL_DECISION_TOPIC
from guichet_contracts.vocabulary import ApplicationKind
from guichet_core.kernel.store.sql import UnitOfWork
from guichet_core.service import SubscriptionSpec
from guichet_residence_decision.handlers import DOSSIERS


async def on_received(event: DomainEvent, envelope: CloudEventEnvelope, uow: UnitOfWork) -> None:
    """Single-permit filings and the region's decisions on them; nothing else concerns us."""
    if isinstance(event, ApplicationFiled):
        if event.kind is not ApplicationKind.SINGLE_PERMIT:
            return  # work authorisations and professional cards have no residence part
    elif await uow.stream_version(str(event.application_id)) == 0:
        return  # a decision on a dossier that is not a single permit
    await DOSSIERS.receive(uow, event, envelope)


SUBSCRIPTIONS = [
    SubscriptionSpec(
        group="residence-decision.dossiers",
        topics=[INTAKE_TOPIC, REGIONAL_DECISION_TOPIC],
        handlers={
            event.event_type: on_received
            for event in (
                ApplicationFiled,
                ApplicationDeclaredAdmissible,
                SupplementaryDocumentsRequested,
                SupplementaryDocumentsSupplied,
                WorkAuthorised,
                NegativeDecisionTaken,
                AuthorisationWithdrawn,
            )
        },
    )
]
