"""Refused attempts that arrive before their dossier: kept until it is projected.

Each service publishes its refusals on their own topic, so one can reach consultation
before the dossier it names (a refusal at intake or a region while the filing is still
on its way). It waits here, in the same transaction as its processed-event record, and
goes into the access log when the filing is projected (Art. 29, GDPR Art. 15 §1 c). An
id that names no dossier would wait forever and could flood the table: a refusal waits
``KEPT_FOR`` at most, enough for any projection lag, then it belonged in no one's log.
Nothing personal is kept: the refusal as published (who, route template, reason).
"""

from __future__ import annotations

import zlib
from datetime import datetime, timedelta

from sqlalchemy import Column, DateTime, Index, String, Table, delete, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from guichet_consultation.access_entries import JsonType, Seq, metadata
from guichet_contracts import AccessRefused

KEPT_FOR = timedelta(hours=1)

pending_refusals = Table(
    "pending_refusals",
    metadata,
    Column("seq", Seq, primary_key=True, autoincrement=True),
    Column("dossier_id", String(64), nullable=False),
    Column("refusal", JsonType, nullable=False),  # the AccessRefused payload
    Column("received_at", DateTime(timezone=True), nullable=False),
)
Index("ix_pending_refusals_dossier", pending_refusals.c.dossier_id)


async def lock_dossier(connection: AsyncConnection, dossier_id: str) -> None:
    """Serialise a refusal's check of the dossier with the filing's projection, so one
    parked just as the filing lands is never left behind (SQLite's writers already are)."""
    if connection.dialect.name == "postgresql":
        key = zlib.crc32(f"guichet:pending-refusals:{dossier_id}".encode()) - 2**31
        await connection.execute(text("select pg_advisory_xact_lock(:key)"), {"key": key})


async def park(connection: AsyncConnection, refused: AccessRefused, now: datetime) -> None:
    """Keep ``refused`` until its dossier is projected; forget those waiting too long."""
    table = pending_refusals
    await connection.execute(delete(table).where(table.c.received_at < now - KEPT_FOR))
    await connection.execute(
        table.insert().values(
            dossier_id=str(refused.application_id),
            refusal=refused.model_dump(mode="json"),
            received_at=now,
        )
    )


async def release(connection: AsyncConnection, dossier_id: str) -> list[AccessRefused]:
    """The refusals waiting for ``dossier_id``, oldest first, no longer waiting."""
    table = pending_refusals
    await lock_dossier(connection, dossier_id)
    rows = await connection.execute(
        select(table.c.refusal).where(table.c.dossier_id == dossier_id).order_by(table.c.seq)
    )
    waiting = [AccessRefused.model_validate(row.refusal) for row in rows]
    if waiting:
        await connection.execute(delete(table).where(table.c.dossier_id == dossier_id))
    return waiting


async def forget(connection: AsyncConnection, dossier_id: str) -> None:
    """A purged dossier's waiting refusals go with it (Art. 27 §2)."""
    table = pending_refusals
    await connection.execute(delete(table).where(table.c.dossier_id == dossier_id))
