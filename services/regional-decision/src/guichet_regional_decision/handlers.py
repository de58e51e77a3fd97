"""The region's use cases: receive filings and documents, decide, notify the applicant.

Each runs in one unit of work: load the dossier's stream, fold it, decide, append
(private reasons unpublished, decisions published), update the queue and queue the
applicant's notifications — all or nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from guichet_contracts import (
    ApplicationFiled,
    CloudEventEnvelope,
    DomainEvent,
    NegativeDecisionTaken,
    ProfessionalCardGranted,
    SupplementaryDocumentsRequested,
    WorkAuthorised,
)
from guichet_contracts.decisions import ApplicationDeclaredAdmissible, AuthorisationWithdrawn
from guichet_core.dossier import DecidingService, UnknownDossier, load, record_received
from guichet_core.store.records import RecordedEvent
from guichet_core.store.sql import UnitOfWork
from guichet_regional_decision import messages
from guichet_regional_decision.domain import PRIVATE, Dossier, evolve
from guichet_regional_decision.queue import project

Decide = Callable[[Dossier], list[DomainEvent]]


def fold(events: Sequence[tuple[DomainEvent, RecordedEvent]]) -> tuple[Dossier, ApplicationFiled]:
    state: Dossier | None = None
    filed: ApplicationFiled | None = None
    for event, record in events:
        if isinstance(event, ApplicationFiled):
            filed = event
        state = evolve(state, event, at=record.occurred_at)
        state = replace(state, version=record.version)
    if state is None or filed is None:
        raise UnknownDossier("no such dossier")
    return state, filed


async def on_received(event: DomainEvent, envelope: CloudEventEnvelope, uow: UnitOfWork) -> None:
    """An application filed, or documents supplied, at intake: into our stream and queue."""
    stream = str(event.application_id)
    if not isinstance(event, ApplicationFiled) and await uow.stream_version(stream) == 0:
        raise UnknownDossier(f"{envelope.type} for a dossier this region never received")
    await record_received(uow, stream, event, envelope)
    dossier, filed = fold((await load(uow, stream, PRIVATE)).events)
    await project(uow.connection, dossier, category=filed.category.value)


def _step_of(event: DomainEvent) -> str | None:
    match event:
        case ApplicationDeclaredAdmissible():
            return "admissible"
        case SupplementaryDocumentsRequested():
            return "documents_requested"
        case WorkAuthorised():
            return "work_authorised"
        case NegativeDecisionTaken(step=step):
            return {"admissibility": "inadmissible", "professional_card": "card_refused"}.get(
                step, "work_refused"
            )
        case ProfessionalCardGranted():
            return "card_granted"
        case AuthorisationWithdrawn():
            return "withdrawn"
    return None


async def _project(uow: UnitOfWork, dossier: Dossier, filed: ApplicationFiled) -> None:
    await project(uow.connection, dossier, category=filed.category.value)


REGION: DecidingService[Dossier] = DecidingService(
    private=PRIVATE,
    fold=fold,
    version_of=lambda dossier: dossier.version,
    project=_project,
    step_of=_step_of,
    subjects=messages.SUBJECTS,
)
