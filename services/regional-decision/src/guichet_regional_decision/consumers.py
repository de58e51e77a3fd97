"""What the region follows: applications filed and documents supplied at intake."""

from __future__ import annotations

from guichet_contracts import (
    ApplicationFiled,
    CloudEventEnvelope,
    DomainEvent,
    SupplementaryDocumentsSupplied,
)
from guichet_contracts.topics import INTAKE_TOPIC
from guichet_core.dossier_rules import UnknownDossier
from guichet_core.kernel.store.sql import UnitOfWork
from guichet_core.service import SubscriptionSpec
from guichet_regional_decision.handlers import DOSSIERS


async def on_received(event: DomainEvent, envelope: CloudEventEnvelope, uow: UnitOfWork) -> None:
    """An application filed, or documents supplied, at intake: into our stream and queue."""
    stream = str(event.application_id)
    if not isinstance(event, ApplicationFiled) and await uow.stream_version(stream) == 0:
        raise UnknownDossier(f"{envelope.type} for a dossier this region never received")
    await DOSSIERS.receive(uow, event, envelope)


SUBSCRIPTIONS = [
    SubscriptionSpec(
        group="regional-decision.intake",
        topics=[INTAKE_TOPIC],
        handlers={
            ApplicationFiled.event_type: on_received,
            SupplementaryDocumentsSupplied.event_type: on_received,
        },
    )
]
