"""Feeding the projection from every topic: the consultation's consumer and its rebuild."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from guichet_consultation import projection
from guichet_consultation.generations import BlindIndex, Generations, GenerationTables, load_view
from guichet_contracts import (
    ApplicationFiled,
    CloudEventEnvelope,
    DomainEvent,
    DossierPurged,
    SealedData,
)
from guichet_core.blind_index import blind_index_for as blind_index
from guichet_core.consumer import Handler
from guichet_core.notifications import notification_outbox
from guichet_core.service import Runtime
from guichet_core.store.sql import UnitOfWork
from guichet_core.vault import PersonalDataVault

TOPICS = [
    "guichet.intake.v1",
    "guichet.regional-decision.v1",
    "guichet.residence-decision.v1",
    "guichet.onss-feed.v1",
]


def blind_index_for(runtime: Runtime) -> BlindIndex:
    return blind_index(runtime.settings)


async def subjects_of(
    vault: PersonalDataVault, index: BlindIndex, filed: ApplicationFiled
) -> tuple[str | None, list[tuple[str, str]]]:
    """The NISS index and the (subject index, role) of each applicant of the dossier."""
    if filed.dossier is None:
        return None, []
    personal: dict[str, Any] = await vault.unseal(
        filed.dossier, dossier_id=str(filed.application_id)
    )
    worker = personal.get("worker") or {}
    niss_index = index.of(worker["niss"]) if worker.get("niss") else None
    subjects: list[tuple[str, str]] = []
    for role in ("worker", "employer", "mandatary"):
        party = personal.get(role) or {}
        for key in ("niss", "enterprise_number", "email"):
            if party.get(key):
                subjects.append((index.of(str(party[key])), role))
    return niss_index, sorted(set(subjects))


async def project_into(
    connection: AsyncConnection,
    tables: GenerationTables,
    event: DomainEvent,
    envelope: CloudEventEnvelope,
    *,
    vault: PersonalDataVault,
    index: BlindIndex,
) -> None:
    dossier_id = str(event.application_id)
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    now = datetime.now(UTC)
    # Make sure the row exists, then lock it: the live feed and a rebuild may both write.
    await connection.execute(
        insert(tables.views)
        .values(dossier_id=dossier_id, view=projection.empty(dossier_id), updated_at=now)
        .on_conflict_do_nothing()
    )
    view = await load_view(connection, tables, dossier_id, lock=True)
    assert view is not None
    after = projection.apply(view, event, event_id=str(envelope.id), at=envelope.time)
    if after is view:
        return
    values: dict[str, Any] = {"view": after, "updated_at": now}
    if isinstance(event, ApplicationFiled):
        niss_index, subjects = await subjects_of(vault, index, event)
        values.update(niss_index=niss_index, enterprise_number=event.employer_enterprise_number)
        if subjects:
            await connection.execute(
                insert(tables.subjects)
                .values([{"dossier_id": dossier_id, "subject_index": subject_index, "role": role}
                         for subject_index, role in subjects])
                .on_conflict_do_nothing()
            )  # fmt: skip
    await connection.execute(
        tables.views.update().where(tables.views.c.dossier_id == dossier_id).values(values)
    )


def bind(runtime: Runtime) -> Mapping[str, Handler]:
    """The live consumer: every followed event into every writable generation."""
    generations = Generations(runtime.engine)
    index = blind_index_for(runtime)

    async def handle(event: DomainEvent, envelope: CloudEventEnvelope, uow: UnitOfWork) -> None:
        writable = await generations.writable(uow.connection)
        if not writable:
            raise LookupError("no projection generation to write to (start-up did not run)")
        for tables in writable:
            await project_into(
                uow.connection, tables, event, envelope, vault=runtime.vault, index=index
            )

    return {event_type.event_type: handle for event_type in projection.FOLLOWED}


def bind_purge(runtime: Runtime) -> Mapping[str, Handler]:
    """A purged dossier leaves every generation of the projection (Art. 27 §2)."""
    generations = Generations(runtime.engine)

    async def on_purged(event: DomainEvent, envelope: CloudEventEnvelope, uow: UnitOfWork) -> None:
        dossier_id = str(event.application_id)
        for tables in await generations.writable(uow.connection):
            for table in (tables.views, tables.subjects):
                await uow.connection.execute(table.delete().where(table.c.dossier_id == dossier_id))
        await uow.connection.execute(
            notification_outbox.delete().where(notification_outbox.c.dossier_id == dossier_id)
        )

    return {DossierPurged.event_type: on_purged}


__all__ = ["TOPICS", "SealedData", "bind", "blind_index_for", "project_into", "subjects_of"]
