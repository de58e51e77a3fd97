"""Data-subject requests in the retention service's own database (Art. 28-29).

One row per request. ``details`` and ``answer`` are stored as given: they are the person's
own words to their controller and the controller's answer. The requester is known only by
a blind index (``subject_index``), never by NISS. Answering is optimistic: a request is
answered only while it is still "received", so two agents of a controller cannot both
answer it. When a dossier reaches the end of its retention (Art. 27 §2), or a granted
erasure is carried out, its requests go with it (``delete_dossier``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Index,
    MetaData,
    Row,
    String,
    Table,
    Text,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from guichet_core.kernel.store.database import as_utc
from guichet_retention.rights import RightsError, RightsRequest, is_overdue

__all__ = ["RightsStore", "metadata", "rights_requests"]

metadata = MetaData()

rights_requests = Table(
    "rights_requests",
    metadata,
    Column("request_id", String(64), primary_key=True),
    Column("dossier_id", String(64), nullable=False),
    Column("subject_index", String(64), nullable=False),  # blind index, never the NISS
    Column("kind", String(20), nullable=False),
    Column("concern", String(20), nullable=False),
    Column("controller", String(10), nullable=False),
    Column("details", Text, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("due_on", Date, nullable=False),
    Column("status", String(10), nullable=False),
    Column("answered_at", DateTime(timezone=True), nullable=True),
    Column("outcome", String(20), nullable=True),
    Column("answer", Text, nullable=True),
)
Index(
    "ix_rights_requests_queue",
    rights_requests.c.controller,
    rights_requests.c.status,
    rights_requests.c.due_on,
)
Index("ix_rights_requests_subject", rights_requests.c.subject_index)
Index("ix_rights_requests_dossier", rights_requests.c.dossier_id)


def _row(request: RightsRequest) -> dict[str, Any]:
    return {
        "request_id": request.request_id,
        "dossier_id": request.dossier_id,
        "subject_index": request.subject_index,
        "kind": request.kind.value,
        "concern": request.concern.value,
        "controller": request.controller,
        "details": request.details,
        "received_at": as_utc(request.received_at),
        "due_on": request.due_on,
        "status": request.status,
        "answered_at": None if request.answered_at is None else as_utc(request.answered_at),
        "outcome": request.outcome,
        "answer": request.answer,
    }


def _request(row: Row[Any]) -> RightsRequest:
    return RightsRequest(
        request_id=row.request_id,
        dossier_id=row.dossier_id,
        subject_index=row.subject_index,
        kind=row.kind,
        concern=row.concern,
        controller=row.controller,
        details=row.details,
        received_at=as_utc(row.received_at),
        due_on=row.due_on,
        status=row.status,
        answered_at=None if row.answered_at is None else as_utc(row.answered_at),
        outcome=row.outcome,
        answer=row.answer,
    )


class RightsStore:
    """Rights requests of one platform, in the retention service's database."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def add(self, request: RightsRequest) -> None:
        """Record a new request (as received: answers go through ``save_answer``)."""
        try:
            async with self.engine.begin() as connection:
                await self.insert(connection, request)
        except IntegrityError as error:
            raise RightsError(f"request {request.request_id} is already recorded") from error

    @staticmethod
    async def insert(connection: AsyncConnection, request: RightsRequest) -> None:
        """Record a new request in the caller's transaction (e.g. with its receipt)."""
        if not request.is_open:
            raise RightsError("a new request is recorded as received, not answered")
        await connection.execute(rights_requests.insert().values(**_row(request)))

    async def get(self, request_id: str) -> RightsRequest | None:
        query = select(rights_requests).where(rights_requests.c.request_id == request_id)
        async with self.engine.connect() as connection:
            row = (await connection.execute(query)).first()
        return None if row is None else _request(row)

    async def mine(self, subject_index: str) -> list[RightsRequest]:
        """The requester's own requests, oldest first, answered ones included."""
        query = (
            select(rights_requests)
            .where(rights_requests.c.subject_index == subject_index)
            .order_by(rights_requests.c.received_at, rights_requests.c.request_id)
        )
        async with self.engine.connect() as connection:
            return [_request(row) for row in await connection.execute(query)]

    async def queue(self, controller: str, *, today: date) -> list[tuple[RightsRequest, bool]]:
        """The controller's open requests, the soonest due first, each with its overdue flag."""
        query = (
            select(rights_requests)
            .where(
                rights_requests.c.controller == controller,
                rights_requests.c.status == "received",
            )
            .order_by(
                rights_requests.c.due_on,
                rights_requests.c.received_at,
                rights_requests.c.request_id,
            )
        )
        async with self.engine.connect() as connection:
            requests = [_request(row) for row in await connection.execute(query)]
        return [(request, is_overdue(request, today)) for request in requests]

    async def save_answer(self, request: RightsRequest) -> None:
        """Store the answer of ``rights.answer``, only if the request is still open."""
        if request.is_open:
            raise RightsError(f"request {request.request_id} carries no answer to save")
        statement = (
            rights_requests.update()
            .where(
                rights_requests.c.request_id == request.request_id,
                rights_requests.c.status == "received",
            )
            .values(
                status=request.status,
                answered_at=None if request.answered_at is None else as_utc(request.answered_at),
                outcome=request.outcome,
                answer=request.answer,
            )
        )
        async with self.engine.begin() as connection:
            result = await connection.execute(statement)
        if result.rowcount != 1:
            raise RightsError(f"request {request.request_id} is unknown or already answered")

    async def delete_dossier(self, dossier_id: str) -> int:
        """Forget every request about a purged dossier; returns how many were deleted."""
        statement = rights_requests.delete().where(rights_requests.c.dossier_id == dossier_id)
        async with self.engine.begin() as connection:
            result = await connection.execute(statement)
        return int(result.rowcount or 0)
