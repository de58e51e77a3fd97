"""Guichet's event contracts: what every service may rely on in another's events.

Events are immutable, versioned facts. A published event's meaning never changes: a new
meaning is a new ``schema_version`` (and a new type string), and old versions are
upcast on read (see ``registry``).
"""

from guichet_contracts.envelope import CloudEventEnvelope
from guichet_contracts.events import (
    ApplicationFiled,
    NegativeDecisionTaken,
    WorkAuthorised,
)
from guichet_contracts.registry import REGISTRY, DomainEvent, EventRegistry, UnknownEventType

__all__ = [
    "REGISTRY",
    "ApplicationFiled",
    "CloudEventEnvelope",
    "DomainEvent",
    "EventRegistry",
    "NegativeDecisionTaken",
    "UnknownEventType",
    "WorkAuthorised",
]
