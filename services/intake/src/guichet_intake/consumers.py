"""What intake follows of the other services: their decisions, into the applicant's
status and timeline (``status``), so the applicant follows the whole procedure here."""

from __future__ import annotations

from sqlalchemy import select

from guichet_contracts import (
    ApplicationDeclaredAdmissible,
    AuthorisationWithdrawn,
    CloudEventEnvelope,
    DomainEvent,
    NegativeDecisionTaken,
    ProfessionalCardGranted,
    ResidenceAuthorised,
    SinglePermitGranted,
    StayEnded,
    SupplementaryDocumentsRequested,
    WorkAuthorised,
)
from guichet_contracts.topics import REGIONAL_DECISION_TOPIC, RESIDENCE_DECISION_TOPIC
from guichet_core.kernel.store.sql import UnitOfWork
from guichet_core.service import SubscriptionSpec
from guichet_intake import status
from guichet_intake.tables import dossier_status

FOLLOWED: list[type[DomainEvent]] = [
    ApplicationDeclaredAdmissible,
    SupplementaryDocumentsRequested,
    WorkAuthorised,
    ProfessionalCardGranted,
    NegativeDecisionTaken,
    AuthorisationWithdrawn,
    ResidenceAuthorised,
    SinglePermitGranted,
    StayEnded,
]


async def follow(event: DomainEvent, envelope: CloudEventEnvelope, uow: UnitOfWork) -> None:
    """A decision of another service: into the applicant's status and timeline."""
    dossier_id = str(event.application_id)
    query = select(dossier_status.c.view).where(dossier_status.c.dossier_id == dossier_id)
    row = (await uow.connection.execute(query)).first()
    if row is None:
        raise LookupError(f"{envelope.type} for dossier {dossier_id}, unknown to intake")
    view = status.apply(dict(row.view), event, at=envelope.time)
    await uow.connection.execute(
        dossier_status.update().where(dossier_status.c.dossier_id == dossier_id).values(view=view)
    )


SUBSCRIPTIONS = [
    SubscriptionSpec(
        group="intake.applicant-status",
        topics=[REGIONAL_DECISION_TOPIC, RESIDENCE_DECISION_TOPIC],
        handlers={event.event_type: follow for event in FOLLOWED},
    )
]
