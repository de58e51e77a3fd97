"""The region's use cases: receive filings and documents, decide, notify the applicant.

Each runs in one unit of work: load the dossier's stream, fold it, decide, append
(private reasons unpublished, decisions published), update the queue and queue the
applicant's notifications — all or nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace

from guichet_contracts import (
    ApplicationFiled,
    CloudEventEnvelope,
    DomainEvent,
    NegativeDecisionTaken,
    SupplementaryDocumentsRequested,
    WorkAuthorised,
)
from guichet_contracts.decisions import ApplicationDeclaredAdmissible, AuthorisationWithdrawn
from guichet_core.applicant import notify_applicants
from guichet_core.dossier import append_decision, load, record_received
from guichet_core.service import Runtime
from guichet_core.store.records import RecordedEvent
from guichet_core.store.sql import UnitOfWork
from guichet_core.vault import PersonalDataVault
from guichet_regional_decision import messages
from guichet_regional_decision.domain import PRIVATE, Dossier, Refused, evolve
from guichet_regional_decision.queue import project

Decide = Callable[[Dossier], list[DomainEvent]]


class UnknownDossier(LookupError):
    pass


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


async def decide(
    rt: Runtime,
    application_id: uuid.UUID,
    decision: Decide,
    *,
    expected_version: int | None,
    reasons: str | None = None,
    details: str = "",
) -> Dossier:
    """Apply a decision to the dossier, or raise ``Refused``/``NotCompetent``/conflict."""
    stream = str(application_id)
    async with rt.unit_of_work() as uow:
        loaded = await load(uow, stream, PRIVATE)
        if not loaded.events:
            raise UnknownDossier(f"no dossier {application_id} in this region's records")
        dossier, filed = fold(loaded.events)
        if expected_version is not None and expected_version != dossier.version:
            raise Refused(
                f"the dossier is at version {dossier.version}, not {expected_version}: "
                "reload it and decide again"
            )
        new_events = decision(dossier)
        recorded = await append_decision(
            uow,
            stream,
            new_events,
            expected_version=dossier.version,
            topic=rt.topic,
            private=PRIVATE,
        )
        after, _ = fold([*loaded.events, *zip(new_events, recorded, strict=True)])
        await project(uow.connection, after, category=filed.category.value)
        for event, record in zip(new_events, recorded, strict=True):
            await _notify(uow, rt.vault, filed, event, record, reasons=reasons, details=details)
        return after


def _step_of(event: DomainEvent) -> str | None:
    match event:
        case ApplicationDeclaredAdmissible():
            return "admissible"
        case SupplementaryDocumentsRequested():
            return "documents_requested"
        case WorkAuthorised():
            return "work_authorised"
        case NegativeDecisionTaken(step=step):
            return "inadmissible" if step == "admissibility" else "work_refused"
        case AuthorisationWithdrawn():
            return "withdrawn"
    return None


async def _notify(
    uow: UnitOfWork,
    vault: PersonalDataVault,
    filed: ApplicationFiled,
    event: DomainEvent,
    record: RecordedEvent,
    *,
    reasons: str | None,
    details: str,
) -> None:
    step = _step_of(event)
    if step is None:
        return
    application_id = str(filed.application_id)
    await notify_applicants(
        uow,
        vault,
        filed,
        cause=record.event_id,
        purpose=step,
        subject=lambda language: messages.subject(step, language),
        body=lambda language, their_reasons: messages.body(
            step, language, application_id=application_id, details=details, reasons=their_reasons
        ),
        reasons=reasons,
    )
