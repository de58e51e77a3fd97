"""Intake's use cases: file an application, supply documents, follow the procedure."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from guichet_contracts import (
    ApplicationFiled,
    CloudEventEnvelope,
    DocumentReference,
    DomainEvent,
    SupplementaryDocumentsSupplied,
)
from guichet_core.codec import new_event
from guichet_core.service import Runtime
from guichet_core.store.sql import UnitOfWork
from guichet_core.vault import PersonalDataVault
from guichet_intake import status
from guichet_intake.documents import CheckedDocument, check_document
from guichet_intake.domain import FilingRejected, ValidFiling
from guichet_intake.requests import DocumentUpload
from guichet_intake.tables import applicant_access, documents, dossier_status

# Parsing and decoding an image may take a hundred megabytes and a core for a second:
# two at a time per process (the machines have two cores), the others wait their turn.
_PARSERS = threading.BoundedSemaphore(2)


def check_documents(uploads: Sequence[DocumentUpload]) -> list[CheckedDocument]:
    """Every upload, checked; ``DocumentRejected`` names the first that is refused.
    Blocking: run it in a worker thread."""
    with _PARSERS:
        return [
            check_document(index, **upload.model_dump()) for index, upload in enumerate(uploads)
        ]


async def _store_documents(
    uow: UnitOfWork, vault: PersonalDataVault, dossier_id: str, checked: Sequence[CheckedDocument]
) -> list[DocumentReference]:
    """Documents are stored sealed with the dossier's key; events carry references only."""
    references = []
    rows = []
    now = datetime.now(UTC)
    for document in checked:
        document_id = uuid.uuid4().hex
        sealed_content = await vault.seal_bytes(dossier_id, document.content)
        sealed_name = await vault.seal(dossier_id, {"filename": document.filename})
        rows.append(
            {
                "document_id": document_id,
                "dossier_id": dossier_id,
                "kind": document.kind.value,
                "media_type": document.media_type,
                "size_bytes": len(document.content),
                "sha256": document.sha256,
                "sealed": {
                    "content": sealed_content.model_dump(),
                    "name": sealed_name.model_dump(),
                },
                "stored_at": now,
            }
        )
        references.append(
            DocumentReference(
                document_id=document_id,
                kind=document.kind,
                media_type=document.media_type,
                size_bytes=len(document.content),
                sha256=document.sha256,
            )
        )
    if rows:
        await uow.connection.execute(documents.insert(), rows)
    return references


async def file(
    rt: Runtime, filing: ValidFiling, checked: Sequence[CheckedDocument], *, filer: str
) -> ApplicationFiled:
    application_id = uuid.uuid4()
    dossier_id = str(application_id)
    sealed = await rt.vault.seal(dossier_id, filing.personal.model_dump(mode="json"))
    async with rt.unit_of_work() as uow:
        references = await _store_documents(uow, rt.vault, dossier_id, checked)
        filed = ApplicationFiled(
            application_id=application_id,
            kind=filing.kind,
            category=filing.category,
            competent_authority=filing.authority,
            workplace_postcode=filing.workplace_postcode,
            employer_enterprise_number=filing.employer_enterprise_number,
            filed_by=filing.filed_by,
            filed_at=datetime.now(UTC),
            wished_start=filing.wished_start,
            wished_end=filing.wished_end,
            fee_paid=filing.fee_paid,
            dossier=sealed,
            documents=tuple(references),
        )
        await uow.connection.execute(
            applicant_access.insert(),
            [{"dossier_id": dossier_id, "subject": s} for s in sorted({filer, *filing.subjects})],
        )
        await uow.connection.execute(
            dossier_status.insert().values(dossier_id=dossier_id, view=status.start(filed))
        )
        # Last: on PostgreSQL the append holds the schema's ordering lock until commit.
        await uow.append(dossier_id, [new_event(filed)], expected_version=0, publish_to=rt.topic)
    return filed


async def may_follow(rt: Runtime, dossier_id: str, subject: str) -> bool:
    query = select(applicant_access.c.subject).where(
        applicant_access.c.dossier_id == dossier_id, applicant_access.c.subject == subject
    )
    async with rt.engine.connect() as connection:
        return (await connection.execute(query)).first() is not None


async def view_of(rt: Runtime, dossier_id: str) -> dict[str, Any] | None:
    query = select(dossier_status.c.view).where(dossier_status.c.dossier_id == dossier_id)
    async with rt.engine.connect() as connection:
        row = (await connection.execute(query)).first()
    return dict(row.view) if row else None


async def supply(
    rt: Runtime, dossier_id: str, request_id: str, checked: Sequence[CheckedDocument]
) -> SupplementaryDocumentsSupplied:
    """Art. 20 §4: documents a controller asked for, after the application was filed."""
    async with rt.unit_of_work() as uow:
        # The status row is locked until commit: two supplies for one request take turns
        # and the second finds it answered (SQLite's BEGIN IMMEDIATE does the same).
        query = select(dossier_status.c.view).where(dossier_status.c.dossier_id == dossier_id)
        row = (await uow.connection.execute(query.with_for_update())).first()
        if row is None or row.view.get("open_request") != request_id:
            raise FilingRejected(
                "request_id", "no open request for documents with this id on this dossier"
            )
        references = await _store_documents(uow, rt.vault, dossier_id, checked)
        supplied = SupplementaryDocumentsSupplied(
            application_id=uuid.UUID(dossier_id),
            request_id=request_id,
            documents=tuple(references),
            supplied_at=datetime.now(UTC),
        )
        version = await uow.stream_version(dossier_id)
        await uow.append(
            dossier_id, [new_event(supplied)], expected_version=version, publish_to=rt.topic
        )
        view = status.apply(dict(row.view), supplied, at=supplied.supplied_at)
        await uow.connection.execute(
            dossier_status.update()
            .where(dossier_status.c.dossier_id == dossier_id)
            .values(view=view)
        )
    return supplied


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
