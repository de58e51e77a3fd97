"""The per-region work queue, a projection of the dossiers' streams: every filed
application lands with the region competent for the place of work (Art. 9), sorted by
the decision deadline of Directive (EU) 2024/1233, overdue dossiers flagged."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import (
    JSON,
    Boolean,
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

from guichet_contracts import ApplicationFiled
from guichet_contracts.deadlines import legal_clock
from guichet_core.kernel.store.upsert import upsert
from guichet_regional_decision.state import Dossier, Status

metadata = MetaData()
work_queue = Table(
    "work_queue",
    metadata,
    Column("application_id", Uuid, primary_key=True),
    Column("authority", String(8), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("category", String(60), nullable=False),
    Column("filed_at", DateTime(timezone=True), nullable=False),
    Column("status", String(40), nullable=False),
    Column("version", Integer, nullable=False),
    Column("complete_on", Date, nullable=True),
    Column("suspensions", JSON, nullable=False),
    Column("decided", Boolean, nullable=False),
)

# A dossier leaves the queue once the region's part is decided: the work authorised, or
# the professional card granted (Art. 9), or a refusal or withdrawal (Art. 18, 24).
DECIDED = frozenset(
    {Status.WORK_AUTHORISED, Status.PROFESSIONAL_CARD_GRANTED, Status.REFUSED, Status.WITHDRAWN}
)


class QueueEntry(BaseModel):
    """A dossier in the region's queue, with its decision deadline (Directive 2024/1233)."""

    application_id: uuid.UUID
    authority: str
    kind: str
    category: str
    filed_at: datetime
    status: str
    version: int
    decision_due_on: date | None
    days_left: int | None
    clock_running: bool
    overdue: bool


async def project(connection: AsyncConnection, dossier: Dossier, filed: ApplicationFiled) -> None:
    """Store the dossier's queue entry as its stream now says."""
    row = {
        "authority": dossier.authority.value,
        "kind": dossier.kind.value,
        "category": filed.category.value,
        "filed_at": dossier.filed_at,
        "status": dossier.status.value,
        "version": dossier.version,
        "complete_on": dossier.admissible_at.date() if dossier.admissible_at else None,
        "suspensions": [
            [start.date().isoformat(), end.date().isoformat() if end else None]
            for start, end in dossier.suspensions
        ],
        "decided": dossier.status in DECIDED,
    }
    await upsert(connection, work_queue, {"application_id": dossier.application_id}, row)


def _entry(row: Any, today: date) -> QueueEntry:
    suspensions = [
        (date.fromisoformat(start), date.fromisoformat(end) if end else None)
        for start, end in row.suspensions
    ]
    clock = legal_clock(
        complete_on=row.complete_on, suspensions=suspensions, decided=row.decided, today=today
    )
    return QueueEntry(
        application_id=row.application_id,
        authority=row.authority,
        kind=row.kind,
        category=row.category,
        filed_at=row.filed_at,
        status=row.status,
        version=row.version,
        decision_due_on=clock.due_on,
        days_left=clock.days_left,
        clock_running=clock.running,
        overdue=clock.overdue,
    )


async def queue_of(
    connection: AsyncConnection, authority: str, *, today: date, include_decided: bool = False
) -> list[QueueEntry]:
    """The region's dossiers, the most urgent first (no deadline yet: by filing date)."""
    query = select(work_queue).where(work_queue.c.authority == authority)
    if not include_decided:
        query = query.where(work_queue.c.decided.is_(False))
    entries = [_entry(row, today) for row in await connection.execute(query)]
    return sorted(
        entries,
        key=lambda e: (e.decision_due_on is None, e.decision_due_on or date.max, e.filed_at),
    )
