"""The unit of work of the SQL event store (``sql``): one transaction that appends events,
queues them for the relay and records processed messages; and the relay's outbox batch.

Appending takes the version the caller read (``expected_version``); if the stream moved
on meanwhile the append fails with ``ConcurrencyConflict`` and nothing is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import Row, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from guichet_core.kernel.bus.port import BusMessage
from guichet_core.kernel.codec import to_message
from guichet_core.kernel.store.database import as_utc
from guichet_core.kernel.store.records import ConcurrencyConflict, NewEvent, RecordedEvent
from guichet_core.kernel.store.tables import events, outbox

if TYPE_CHECKING:
    from guichet_core.kernel.store.sql import SqlEventStore


def record_of(row: Row[Any]) -> RecordedEvent:
    return RecordedEvent(
        stream_id=row.stream_id,
        version=row.version,
        position=row.position,
        event_id=row.event_id,
        event_type=row.event_type,
        schema_version=row.schema_version,
        data=row.data,
        occurred_at=as_utc(row.occurred_at),
        recorded_at=as_utc(row.recorded_at),
        metadata=row.metadata,
    )


class UnitOfWork:
    """One transaction of one service: append events, queue them, record processed messages.

    Obtained from ``SqlEventStore.unit_of_work()``, which commits when the block ends
    without error and rolls everything back otherwise. Handlers never commit.
    """

    def __init__(self, connection: AsyncConnection, store: SqlEventStore) -> None:
        self.connection = connection
        self._store = store

    async def append(
        self,
        stream_id: str,
        new_events: Sequence[NewEvent],
        *,
        expected_version: int | None,
        publish_to: str | None = None,
    ) -> list[RecordedEvent]:
        """Append at ``expected_version`` (0 for a new stream; None: after whatever the
        stream holds, for events recorded as received); queue for ``publish_to``."""
        if not new_events:
            return []
        actual = await self._store._serialise_appends(self.connection, stream_id)
        if expected_version is None:
            expected_version = actual
        elif actual != expected_version:
            raise ConcurrencyConflict(stream_id, expected_version, actual)
        now = datetime.now(UTC)
        rows = _event_rows(stream_id, new_events, after=expected_version, recorded_at=now)
        try:
            positions = await self._store._insert_events(self.connection, rows)
        except StreamVersionTaken as error:
            # The version the winner left is read once this transaction is rolled back
            # (``SqlEventStore.unit_of_work``).
            raise ConcurrencyConflict(stream_id, expected_version, None) from error
        recorded = [
            RecordedEvent(
                stream_id=stream_id,
                version=expected_version + offset,
                position=position,
                event_id=event.event_id,
                event_type=event.event_type,
                schema_version=event.schema_version,
                data=event.data,
                occurred_at=event.occurred_at,
                recorded_at=now,
                metadata=dict(event.metadata),
            )
            for offset, (position, event) in enumerate(zip(positions, new_events, strict=True), 1)
        ]
        if publish_to:
            await self._publish(recorded, topic=publish_to, subject=stream_id)
        return recorded

    async def _publish(self, recorded: list[RecordedEvent], *, topic: str, subject: str) -> None:
        messages = [
            to_message(event, topic=topic, source=self._store.source, subject=subject)
            for event in recorded
        ]
        await self.enqueue(messages, event_ids=[e.event_id for e in recorded])

    async def enqueue(self, messages: Sequence[BusMessage], *, event_ids: Sequence[Any]) -> None:
        """Queue messages for the relay, in this transaction."""
        now = datetime.now(UTC)
        await self._store._insert_outbox(
            self.connection,
            [
                {
                    "event_id": event_id,
                    "topic": message.topic,
                    "message_key": message.key,
                    "headers": [[k, v.decode("latin-1")] for k, v in message.headers],
                    "value": message.value,
                    "created_at": now,
                }
                for message, event_id in zip(messages, event_ids, strict=True)
            ],
        )

    async def stream_version(self, stream_id: str) -> int:
        query = select(func.coalesce(func.max(events.c.version), 0)).where(
            events.c.stream_id == stream_id
        )
        return int((await self.connection.execute(query)).scalar_one())

    async def contains(self, event_id: UUID) -> bool:
        """Whether this store already holds the event (e.g. one it appended itself)."""
        query = select(events.c.position).where(events.c.event_id == event_id)
        return (await self.connection.execute(query)).first() is not None

    async def read_stream(self, stream_id: str) -> list[RecordedEvent]:
        query = select(events).where(events.c.stream_id == stream_id).order_by(events.c.version)
        return [record_of(row) for row in await self.connection.execute(query)]

    async def mark_processed(self, *, consumer: str, event_id: str, topic: str) -> bool:
        """Record that ``consumer`` handled ``event_id``; False when it already had."""
        return await self._store._insert_processed(
            self.connection,
            {
                "consumer": consumer,
                "event_id": event_id,
                "topic": topic,
                "processed_at": datetime.now(UTC),
            },
        )


@dataclass
class OutboxBatch:
    """Unpublished outbox rows claimed by the relay, oldest first, in the claiming transaction."""

    connection: AsyncConnection
    ids: list[int]
    messages: list[BusMessage]

    async def mark_published(self) -> None:
        if self.ids:
            await self.connection.execute(
                update(outbox)
                .where(outbox.c.id.in_(self.ids))
                .values(published_at=datetime.now(UTC))
            )


class StreamVersionTaken(Exception):
    """The (stream, version) an append wanted is taken: another writer came first."""


def _event_rows(
    stream_id: str, new_events: Sequence[NewEvent], *, after: int, recorded_at: datetime
) -> list[dict[str, Any]]:
    """The rows of events appended to a stream after its version ``after``."""
    return [
        {
            "stream_id": stream_id,
            "version": after + offset,
            "event_id": event.event_id,
            "event_type": event.event_type,
            "schema_version": event.schema_version,
            "data": event.data,
            "metadata": event.metadata,
            "occurred_at": event.occurred_at,
            "recorded_at": recorded_at,
        }
        for offset, event in enumerate(new_events, start=1)
    ]
