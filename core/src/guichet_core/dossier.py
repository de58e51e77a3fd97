"""Loading a dossier stream and appending a decision to it, for the deciding services.

A deciding service's stream holds three kinds of events: events it received from
other services (recorded with their original id, so their provenance stays visible),
its own decisions (published on its topic), and private events only it reads, such as
the reasons of its negative decisions (never published, Art. 24). One decision in one
unit of work, on top of these, is ``guichet_core.deciding``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from guichet_contracts import (
    REGISTRY,
    CloudEventEnvelope,
    DomainEvent,
    EventRegistry,
    UnknownEventType,
)
from guichet_core.kernel.codec import new_event
from guichet_core.kernel.store.records import NewEvent, RecordedEvent
from guichet_core.kernel.store.sql import UnitOfWork
from guichet_core.kernel.tracing import current_traceparent


@dataclass(frozen=True)
class Loaded:
    events: list[tuple[DomainEvent, RecordedEvent]]

    @property
    def version(self) -> int:
        return self.events[-1][1].version if self.events else 0


def domain_of(record: RecordedEvent, private: EventRegistry | None = None) -> DomainEvent:
    try:
        return REGISTRY.load(record.event_type, record.schema_version, dict(record.data))
    except UnknownEventType:
        if private is None:
            raise
        return private.load(record.event_type, record.schema_version, dict(record.data))


async def load(uow: UnitOfWork, stream_id: str, private: EventRegistry | None = None) -> Loaded:
    records = await uow.read_stream(stream_id)
    return Loaded([(domain_of(record, private), record) for record in records])


async def record_received(
    uow: UnitOfWork, stream_id: str, event: DomainEvent, envelope: CloudEventEnvelope
) -> list[RecordedEvent]:
    """Record an event another service published into our stream of the dossier, under
    its original id (the consumer's processed-message record makes this happen once)."""
    traceparent = current_traceparent()
    received = NewEvent(
        event_id=envelope.id,
        event_type=event.event_type,
        schema_version=event.schema_version,
        data=event.model_dump(mode="json"),
        occurred_at=envelope.time,
        metadata={
            "source": envelope.source,
            **({"traceparent": traceparent} if traceparent else {}),
        },
    )
    return await uow.append(stream_id, [received], expected_version=None)


async def append_decision(
    uow: UnitOfWork,
    stream_id: str,
    events: Sequence[DomainEvent],
    *,
    expected_version: int,
    topic: str,
    private: EventRegistry | None = None,
) -> list[RecordedEvent]:
    """Append the decision's events; publish the shared ones, keep the private ones."""
    recorded: list[RecordedEvent] = []
    version = expected_version
    for event in events:
        is_private = private is not None and private.knows(event.event_type)
        recorded += await uow.append(
            stream_id,
            [new_event(event)],
            expected_version=version,
            publish_to=None if is_private else topic,
        )
        version += 1
    return recorded
