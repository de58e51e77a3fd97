"""Domain events <-> stored records <-> CloudEvents binary-mode messages.

The CloudEvents SDK does the wire mapping (``ce_*`` headers, ``content-type``, JSON
value), so Kafka and the embedded log carry byte-identical messages.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from cloudevents.core.bindings import kafka as ce_kafka
from cloudevents.core.v1.event import CloudEvent
from pydantic import ValidationError

from guichet_contracts import REGISTRY, CloudEventEnvelope, DomainEvent, EventRegistry
from guichet_core.kernel.bus.port import BusMessage
from guichet_core.kernel.scrub import SafeMessage
from guichet_core.kernel.store.records import NewEvent, RecordedEvent
from guichet_core.kernel.tracing import current_traceparent


class UndecodableMessage(SafeMessage, ValueError):
    """A message that is not a valid Guichet CloudEvent: it goes to the dead-letter topic.
    Its text says where and why, never the values (it is logged and dead-lettered)."""


def _why(error: Exception) -> str:
    """Where and why a payload was refused, without its input (pydantic quotes it)."""
    if isinstance(error, ValidationError):
        places = [
            f"{'.'.join(str(part) for part in e['loc']) or 'payload'}: {e['type']}"
            for e in error.errors(include_url=False, include_input=False)[:5]
        ]
        return f"{error.error_count()} invalid field(s) ({'; '.join(places)})"
    return type(error).__name__


def new_event(
    event: DomainEvent, *, metadata: dict[str, str] | None = None, now: datetime | None = None
) -> NewEvent:
    """Wrap a domain event for appending, with the active trace's ``traceparent``."""
    traced = {"traceparent": parent} if (parent := current_traceparent()) else {}
    return NewEvent(
        event_id=uuid.uuid4(),
        event_type=event.event_type,
        schema_version=event.schema_version,
        data=event.model_dump(mode="json"),
        occurred_at=now or datetime.now(UTC),
        metadata={**traced, **(metadata or {})},
    )


def to_message(
    event: RecordedEvent | NewEvent, *, topic: str, source: str, subject: str
) -> BusMessage:
    """The CloudEvent (binary content mode) for a stored event; key = the application id."""
    attributes: dict[str, Any] = {
        "id": str(event.event_id),
        "source": source,
        "type": event.event_type,
        "specversion": "1.0",
        "time": event.occurred_at,
        "subject": subject,
        "datacontenttype": "application/json",
        "schemaversion": str(event.schema_version),
    }
    if traceparent := event.metadata.get("traceparent"):
        attributes["traceparent"] = traceparent
    wire = ce_kafka.to_binary_event(CloudEvent(attributes, event.data))
    headers = tuple(sorted(wire.headers.items()))
    return BusMessage(topic=topic, key=subject.encode(), value=wire.value, headers=headers)


def to_envelope(message: BusMessage) -> CloudEventEnvelope:
    """Read a message back into a validated envelope, or raise ``UndecodableMessage``."""
    try:
        wire = ce_kafka.KafkaMessage(
            headers=dict(message.headers), key=message.key, value=message.value
        )
        event = ce_kafka.from_binary_event(wire)
        attributes = event.get_attributes()
        data = event.get_data()
        if isinstance(data, bytes | str):
            data = json.loads(data)
        known = set(CloudEventEnvelope.model_fields) - {"data"}
        fields = {name: value for name, value in attributes.items() if name in known}
        return CloudEventEnvelope.model_validate({**fields, "data": data})
    except Exception as error:  # the SDK raises its own exception types for bad input
        raise UndecodableMessage(f"not a valid Guichet CloudEvent: {_why(error)}") from error


def to_domain(envelope: CloudEventEnvelope, registry: EventRegistry = REGISTRY) -> DomainEvent:
    """The newest version of the payload's contract (old versions are upcast)."""
    try:
        return registry.load(envelope.type, envelope.schemaversion, dict(envelope.data))
    except (ValidationError, LookupError) as error:
        why = _why(error) if isinstance(error, ValidationError) else "unknown type or version"
        raise UndecodableMessage(f"{envelope.type} v{envelope.schemaversion}: {why}") from error
