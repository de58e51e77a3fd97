"""The applicant's e-box: the port, and the SQL stand-in for the federal e-Box.

Art. 20 §5: every step that concerns the applicant lands in the applicant's e-box, which
the applicant reads through the API. In production an adapter to the federal e-Box
implements ``EBox``; on one machine and in tests ``SqlEBox`` plays its part in a database
of its own (PostgreSQL schema ``<namespace>ebox`` or ``<data_dir>/<namespace>ebox.sqlite3``),
never in a service's schema. Delivery is idempotent by message id, so a dispatcher that
delivered but crashed before recording it can deliver again without a duplicate.

A message may hold a negative decision's reasons (Art. 24): the stand-in keeps its body
sealed with the dossier's key (``sealed_body``) and opens it for the reader only, so a
dossier whose key is destroyed (Art. 27) leaves nothing readable here even before the
purge deletes its rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Index,
    MetaData,
    Row,
    String,
    Table,
    Text,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from guichet_contracts.sealed import SealedData
from guichet_core.kernel.settings import ServiceSettings
from guichet_core.kernel.store.database import as_utc
from guichet_core.kernel.store.upsert import insert_missing
from guichet_core.stores.shared_stores import open_shared_database
from guichet_core.stores.vault import KeyNotFound, KeyShredded, PersonalDataVault

metadata = MetaData()
ebox_messages = Table(
    "ebox_messages",
    metadata,
    Column("message_id", String(64), primary_key=True),
    Column("recipient", String(64), nullable=False),
    Column("dossier_id", String(64), nullable=False),
    Column("subject", String(500), nullable=False),
    Column("body", Text, nullable=False),  # empty once sealed (ebox_0002)
    Column("sealed_body", JSON, nullable=True),
    Column("language", String(2), nullable=False),
    Column("delivered_at", DateTime(timezone=True), nullable=False),
    Column("read_at", DateTime(timezone=True), nullable=True),
)
Index("ix_ebox_messages_recipient", ebox_messages.c.recipient, ebox_messages.c.delivered_at)


async def seal_body(vault: PersonalDataVault, dossier_id: str, body: str) -> dict[str, Any]:
    """A notification's text sealed with its dossier's key, as stored in a JSON column."""
    return (await vault.seal(dossier_id, {"body": body})).model_dump()


async def open_body(
    vault: PersonalDataVault, dossier_id: str, sealed: Any, clear: str
) -> str | None:
    """The text of a stored notification; ``clear`` for one stored before sealing, None
    once the dossier's key is destroyed (the dossier is erased: nothing to show)."""
    if sealed is None:
        return clear
    try:
        opened = await vault.unseal(SealedData.model_validate(sealed), dossier_id=dossier_id)
    except (KeyShredded, KeyNotFound):
        return None
    return str(opened["body"])


def _utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else as_utc(moment)


@dataclass(frozen=True)
class EBoxMessage:
    message_id: str
    recipient: str  # the applicant's subject id: NISS or enterprise number
    dossier_id: str
    subject: str
    body: str
    language: str
    delivered_at: datetime | None = None  # set by the e-box
    read_at: datetime | None = None


class EBox(Protocol):
    """The e-box port."""

    async def deliver(self, message: EBoxMessage) -> None:
        """Deposit ``message``; a message id already delivered is a no-op."""

    async def messages_for(self, recipient: str) -> list[EBoxMessage]:
        """The recipient's messages, oldest first."""

    async def mark_read(self, recipient: str, message_id: str) -> bool:
        """Mark one of the recipient's messages read; False if the recipient has none such."""


class SqlEBox:
    """The e-box stand-in on SQL (PostgreSQL or SQLite), in its own database; bodies are
    sealed with their dossier's key."""

    def __init__(self, engine: AsyncEngine, vault: PersonalDataVault) -> None:
        self.engine = engine
        self.vault = vault

    async def deliver(self, message: EBoxMessage) -> None:
        row = {
            "message_id": message.message_id,
            "recipient": message.recipient,
            "dossier_id": message.dossier_id,
            "subject": message.subject,
            "body": "",
            "sealed_body": await seal_body(self.vault, message.dossier_id, message.body),
            "language": message.language,
            "delivered_at": datetime.now(UTC),
        }
        async with self.engine.begin() as connection:
            await insert_missing(connection, ebox_messages, [row])

    async def delete_dossier(self, dossier_id: str) -> int:
        """Erase every message about a dossier (its retention ended, Art. 27 §2)."""
        async with self.engine.begin() as connection:
            result = await connection.execute(
                ebox_messages.delete().where(ebox_messages.c.dossier_id == dossier_id)
            )
            return int(result.rowcount or 0)

    async def messages_for(self, recipient: str) -> list[EBoxMessage]:
        query = (
            select(ebox_messages)
            .where(ebox_messages.c.recipient == recipient)
            .order_by(ebox_messages.c.delivered_at, ebox_messages.c.message_id)
        )
        async with self.engine.connect() as connection:
            rows = list(await connection.execute(query))
        messages = []
        for row in rows:
            body = await open_body(self.vault, row.dossier_id, row.sealed_body, row.body)
            if body is not None:  # None: the dossier was erased, its purge is under way
                messages.append(_message(row, body))
        return messages

    async def mark_read(self, recipient: str, message_id: str) -> bool:
        mine = (ebox_messages.c.recipient == recipient) & (ebox_messages.c.message_id == message_id)
        async with self.engine.begin() as connection:
            await connection.execute(
                update(ebox_messages)
                .where(mine & ebox_messages.c.read_at.is_(None))
                .values(read_at=datetime.now(UTC))
            )
            found = await connection.execute(select(ebox_messages.c.message_id).where(mine))
            return found.first() is not None


def _message(row: Row[Any], body: str) -> EBoxMessage:
    return EBoxMessage(
        message_id=row.message_id,
        recipient=row.recipient,
        dossier_id=row.dossier_id,
        subject=row.subject,
        body=body,
        language=row.language,
        delivered_at=_utc(row.delivered_at),
        read_at=_utc(row.read_at),
    )


async def open_ebox(
    settings: ServiceSettings, vault: PersonalDataVault
) -> tuple[SqlEBox, AsyncEngine]:
    """The migrated e-box stand-in of this platform, and its engine (dispose it at shutdown);
    ``vault`` seals and opens the bodies."""
    engine = await open_shared_database(settings, "ebox")
    return SqlEBox(engine, vault), engine
