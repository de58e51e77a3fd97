"""Erasing a dossier in a service when its retention ends (Art. 27 §2).

The retention service destroys the dossier's data key — every sealed value in every
event store, topic and backup becomes unreadable at once — and publishes
``DossierPurged``. Each service then deletes its own rows about the dossier (the rows
that hold anything in clear: queues, views, notification outboxes, e-box messages,
the answers kept for idempotency keys), in
one transaction with the processed-message record. Event-store streams stay: what they
hold in clear is not personal (kinds, categories, postcodes, dates), the rest is sealed.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Table

from guichet_contracts import CloudEventEnvelope, DomainEvent, DossierPurged
from guichet_core.kernel.consumer import Handler
from guichet_core.kernel.store.sql import UnitOfWork
from guichet_core.stores.ebox import SqlEBox
from guichet_core.stores.idempotency import idempotency_keys
from guichet_core.stores.notifications import notification_outbox

DossierTable = tuple[Table, str]  # a table and its column naming the dossier


def purge_handler(tables: Sequence[DossierTable], ebox: SqlEBox | None = None) -> Handler:
    async def on_purged(event: DomainEvent, _: CloudEventEnvelope, uow: UnitOfWork) -> None:
        assert isinstance(event, DossierPurged)
        dossier_id = str(event.application_id)
        for table, column in [
            *tables,
            (notification_outbox, "dossier_id"),
            (idempotency_keys, "dossier_id"),
        ]:
            key = table.c[column]
            value = event.application_id if _is_uuid(table, column) else dossier_id
            await uow.connection.execute(table.delete().where(key == value))
        if ebox is not None:  # the e-box stand-in is erased by the applicant-facing service
            await ebox.delete_dossier(dossier_id)

    return on_purged


def _is_uuid(table: Table, column: str) -> bool:
    return type(table.c[column].type).__name__ == "Uuid"
