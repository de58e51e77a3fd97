"""The Immigration Office's queue, a projection of the dossiers' streams: single permits
whose work is authorised and whose residence awaits a decision, the most urgent
deadline first, overdue ones flagged (Directive (EU) 2024/1233: 90 days from a complete
file)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import JSON, Column, Date, DateTime, Integer, MetaData, String, Table, Uuid, select
from sqlalchemy.ext.asyncio import AsyncConnection

from guichet_contracts import ApplicationFiled
from guichet_contracts.deadlines import legal_clock
from guichet_core.kernel.store.upsert import upsert
from guichet_residence_decision.state import Dossier, Status

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


class QueueEntry(BaseModel):
    """A single permit awaiting the Office, with its decision deadline."""

    application_id: uuid.UUID
    status: str
    version: int
    work_authorised_at: datetime | None
    work_valid_until: date | None
    decision_due_on: date | None
    days_left: int | None
    overdue: bool


async def project(connection: AsyncConnection, dossier: Dossier, _: ApplicationFiled) -> None:
    """Store the dossier's queue entry as its stream now says."""
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


def _entry(row: Any, today: date) -> QueueEntry:
    suspensions = [
        (date.fromisoformat(start), date.fromisoformat(end) if end else None)
        for start, end in row.suspensions
    ]
    clock = legal_clock(
        complete_on=row.complete_on, suspensions=suspensions, decided=False, today=today
    )
    return QueueEntry(
        application_id=row.application_id,
        status=row.status,
        version=row.version,
        work_authorised_at=row.work_authorised_at,
        work_valid_until=row.work_valid_until,
        decision_due_on=clock.due_on,
        days_left=clock.days_left,
        overdue=clock.overdue,
    )


async def queue_of(connection: AsyncConnection, *, today: date) -> list[QueueEntry]:
    """Single permits awaiting the Office, the most urgent decision deadline first."""
    query = select(residence_queue).where(
        residence_queue.c.status == Status.AWAITING_RESIDENCE_DECISION.value
    )
    entries = [_entry(row, today) for row in await connection.execute(query)]
    return sorted(entries, key=lambda e: (e.decision_due_on or date.max, e.work_authorised_at))
