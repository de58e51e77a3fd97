"""The per-region work queue: every filed application lands with the region competent
for the place of work (Art. 9), which examines admissibility first (Art. 12 §1)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, DateTime, MetaData, String, Table, Uuid, select
from sqlalchemy.ext.asyncio import AsyncConnection

from guichet_contracts import ApplicationFiled, CloudEventEnvelope, DomainEvent
from guichet_core.store.sql import UnitOfWork

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
)

AWAITING_ADMISSIBILITY = "awaiting_admissibility"


async def on_application_filed(event: DomainEvent, _: CloudEventEnvelope, uow: UnitOfWork) -> None:
    assert isinstance(event, ApplicationFiled)
    await uow.connection.execute(
        work_queue.insert().values(
            application_id=event.application_id,
            authority=event.competent_authority.value,
            kind=event.kind.value,
            category=event.category.value,
            filed_at=event.filed_at,
            status=AWAITING_ADMISSIBILITY,
        )
    )


async def queue_of(connection: AsyncConnection, authority: str) -> list[dict[str, Any]]:
    query = (
        select(work_queue)
        .where(work_queue.c.authority == authority)
        .order_by(work_queue.c.filed_at, work_queue.c.application_id)
    )
    return [dict(row._mapping) for row in await connection.execute(query)]
