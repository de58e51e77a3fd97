"""Intake's use cases, one handler per command (``COMMAND_HANDLERS``), each in one unit
of work: load, check the caller may follow the dossier, apply the rules, and only then
seal, store and append. No HTTP here: refusals are domain errors, mapped in ``problems``.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

import anyio.to_thread
from sqlalchemy import select

from guichet_contracts import (
    ApplicationFiled,
    DocumentReference,
    DomainEvent,
    SupplementaryDocumentsSupplied,
)
from guichet_core.kernel.codec import new_event
from guichet_core.kernel.store.sql import UnitOfWork
from guichet_core.service import Runtime
from guichet_core.stores.vault import PersonalDataVault
from guichet_intake import status
from guichet_intake.documents import CheckedDocument, check_document
from guichet_intake.domain import (
    NOT_FILED,
    Dossier,
    FileApplication,
    NotYourApplication,
    Stored,
    SupplyDocuments,
    answers_the_open_request,
    decide,
    filing_of,
)
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


async def _checked(uploads: Sequence[DocumentUpload]) -> list[CheckedDocument]:
    """Parsing a document is CPU work: off the event loop, so other requests go on."""
    return await anyio.to_thread.run_sync(check_documents, uploads)


async def file_application(rt: Runtime, command: FileApplication) -> ApplicationFiled:
    """Art. 19-20: the form's rules first, then its documents; nothing is sealed or
    stored for a refused filing."""
    filing = filing_of(command)
    checked = await _checked(command.form.documents)
    application_id = uuid.uuid4()
    dossier_id = str(application_id)
    async with rt.unit_of_work() as uow:
        sealed = await rt.vault.seal(dossier_id, filing.personal.model_dump(mode="json"))
        references = await _store_documents(uow, rt.vault, dossier_id, checked, at=command.filed_at)
        stored = Stored(application_id, tuple(references), dossier=sealed)
        [filed] = decide(NOT_FILED, command, stored)
        assert isinstance(filed, ApplicationFiled)
        subjects = sorted({command.filer, *filing.subjects})
        await uow.connection.execute(
            applicant_access.insert(), [{"dossier_id": dossier_id, "subject": s} for s in subjects]
        )
        await uow.connection.execute(
            dossier_status.insert().values(dossier_id=dossier_id, view=status.start(filed))
        )
        # Last: on PostgreSQL the append holds the schema's ordering lock until commit.
        await uow.append(dossier_id, [new_event(filed)], expected_version=0, publish_to=rt.topic)
    return filed


async def supply_documents(rt: Runtime, command: SupplyDocuments) -> SupplementaryDocumentsSupplied:
    """Art. 20 §4: documents a controller asked for, after the application was filed."""
    dossier_id = str(command.application_id)
    await ensure_follows(rt, dossier_id, command.supplier)  # before any document is parsed
    checked = await _checked(command.uploads)
    async with rt.unit_of_work() as uow:
        # The status row is locked until commit: two supplies for one request take turns
        # and the second finds it answered (SQLite's BEGIN IMMEDIATE does the same).
        query = select(dossier_status.c.view).where(dossier_status.c.dossier_id == dossier_id)
        row = (await uow.connection.execute(query.with_for_update())).first()
        state = Dossier(filed=True, open_request=row.view.get("open_request")) if row else NOT_FILED
        answers_the_open_request(state, command)  # before anything is sealed or stored
        references = await _store_documents(
            uow, rt.vault, dossier_id, checked, at=command.supplied_at
        )
        [supplied] = decide(state, command, Stored(command.application_id, tuple(references)))
        assert isinstance(supplied, SupplementaryDocumentsSupplied) and row is not None
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


COMMAND_HANDLERS: dict[type[Any], Callable[[Runtime, Any], Awaitable[DomainEvent]]] = {
    FileApplication: file_application,
    SupplyDocuments: supply_documents,
}


async def ensure_follows(rt: Runtime, dossier_id: str, subject: str) -> None:
    """The caller follows this dossier: 410 once erased, before and after the purge has
    deleted intake's rows (Art. 27); else the same refusal whether it exists or not."""
    await rt.vault.ensure_not_erased(dossier_id)
    query = select(applicant_access.c.subject).where(
        applicant_access.c.dossier_id == dossier_id, applicant_access.c.subject == subject
    )
    async with rt.engine.connect() as connection:
        if (await connection.execute(query)).first() is None:
            raise NotYourApplication()


async def status_view(rt: Runtime, dossier_id: str, subject: str) -> dict[str, Any]:
    """The applicant's projection of their dossier (``status``)."""
    await ensure_follows(rt, dossier_id, subject)
    query = select(dossier_status.c.view).where(dossier_status.c.dossier_id == dossier_id)
    async with rt.engine.connect() as connection:
        row = (await connection.execute(query)).first()
    if row is None:
        raise NotYourApplication()
    return dict(row.view)


async def _store_documents(
    uow: UnitOfWork,
    vault: PersonalDataVault,
    dossier_id: str,
    checked: Sequence[CheckedDocument],
    *,
    at: datetime,
) -> list[DocumentReference]:
    """Documents are stored sealed with the dossier's key; events carry references only."""
    references = []
    rows = []
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
                "stored_at": at,
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
