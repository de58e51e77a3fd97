"""The Office's use cases: follow the dossiers, decide residence, notify the applicant."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Date,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Uuid,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from guichet_contracts import (
    ApplicationFiled,
    AuthorisationWithdrawn,
    CloudEventEnvelope,
    DomainEvent,
    NegativeDecisionTaken,
    SinglePermitGranted,
    StayEnded,
)
from guichet_contracts.deadlines import legal_clock
from guichet_contracts.vocabulary import ApplicationKind
from guichet_core.dossier import DecidingService, UnknownDossier, load, record_received
from guichet_core.store.records import RecordedEvent
from guichet_core.store.sql import UnitOfWork
from guichet_core.store.upsert import upsert
from guichet_residence_decision import messages
from guichet_residence_decision.domain import PRIVATE, Dossier, Status, evolve

Decide = Callable[[Dossier], list[DomainEvent]]

metadata = MetaData()
residence_queue = Table(
    "residence_queue",
    metadata,
    Column("application_id", Uuid, primary_key=True),
    Column("status", String(40), nullable=False),
    Column("version", Integer, nullable=False),
    Column("work_authorised_at", DateTime(timezone=True), nullable=True),
    Column("work_valid_until", Date, nullable=True),
    Column("complete_on", Date, nullable=True),
    Column("suspensions", JSON, nullable=False),
)


def fold(events: Sequence[tuple[DomainEvent, RecordedEvent]]) -> tuple[Dossier, ApplicationFiled]:
    state: Dossier | None = None
    filed: ApplicationFiled | None = None
    for event, record in events:
        if isinstance(event, ApplicationFiled):
            filed = event
        state = replace(evolve(state, event, at=record.occurred_at), version=record.version)
    if state is None or filed is None:
        raise UnknownDossier("no such single-permit dossier at the Immigration Office")
    return state, filed


async def _project(connection: AsyncConnection, dossier: Dossier) -> None:
    row = {
        "status": dossier.status.value,
        "version": dossier.version,
        "work_authorised_at": dossier.work_authorised_at,
        "work_valid_until": dossier.work_valid_until,
        "complete_on": dossier.complete_on,
        "suspensions": [
            [start.isoformat(), end.isoformat() if end else None]
            for start, end in dossier.suspensions
        ],
    }
    await upsert(connection, residence_queue, {"application_id": dossier.application_id}, row)


async def on_received(event: DomainEvent, envelope: CloudEventEnvelope, uow: UnitOfWork) -> None:
    """Single-permit filings and the region's decisions on them; nothing else concerns us."""
    stream = str(event.application_id)
    if isinstance(event, ApplicationFiled):
        if event.kind is not ApplicationKind.SINGLE_PERMIT:
            return  # work authorisations and professional cards have no residence part
    elif await uow.stream_version(stream) == 0:
        return  # a decision on a dossier that is not a single permit
    await record_received(uow, stream, event, envelope)
    dossier, _ = fold((await load(uow, stream, PRIVATE)).events)
    await _project(uow.connection, dossier)


async def queue(connection: AsyncConnection, *, today: date) -> list[dict[str, Any]]:
    """Single permits awaiting the Office, the most urgent decision deadline first,
    overdue ones flagged (Directive (EU) 2024/1233: 90 days from a complete file)."""
    query = select(residence_queue).where(
        residence_queue.c.status == Status.AWAITING_RESIDENCE_DECISION.value
    )
    entries = []
    for row in await connection.execute(query):
        suspensions = [
            (date.fromisoformat(start), date.fromisoformat(end) if end else None)
            for start, end in row.suspensions
        ]
        clock = legal_clock(
            complete_on=row.complete_on, suspensions=suspensions, decided=False, today=today
        )
        entries.append(
            {
                "application_id": row.application_id,
                "status": row.status,
                "version": row.version,
                "work_authorised_at": row.work_authorised_at,
                "work_valid_until": row.work_valid_until,
                "decision_due_on": clock.due_on,
                "days_left": clock.days_left,
                "overdue": clock.overdue,
            }
        )
    return sorted(
        entries, key=lambda e: (e["decision_due_on"] or date.max, e["work_authorised_at"])
    )


def _step_of(event: DomainEvent) -> str | None:
    match event:
        case SinglePermitGranted():
            return "single_permit_granted"
        case NegativeDecisionTaken():
            return "residence_refused"
        case AuthorisationWithdrawn():
            return "permit_withdrawn"
        case StayEnded():
            return "stay_ended"
    return None


async def _project_dossier(uow: UnitOfWork, dossier: Dossier, _: ApplicationFiled) -> None:
    await _project(uow.connection, dossier)


OFFICE: DecidingService[Dossier] = DecidingService(
    private=PRIVATE,
    fold=fold,
    version_of=lambda dossier: dossier.version,
    project=_project_dossier,
    step_of=_step_of,
    subjects=messages.SUBJECTS,
)
