"""The event store port and its SQL adapters."""

from guichet_core.store.database import DatabaseConfig, create_engine, migrate
from guichet_core.store.records import ConcurrencyConflict, NewEvent, RecordedEvent
from guichet_core.store.sql import (
    EventStore,
    OutboxBatch,
    PostgresEventStore,
    SqliteEventStore,
    UnitOfWork,
    event_store_for,
)

__all__ = [
    "ConcurrencyConflict",
    "DatabaseConfig",
    "EventStore",
    "NewEvent",
    "OutboxBatch",
    "PostgresEventStore",
    "RecordedEvent",
    "SqliteEventStore",
    "UnitOfWork",
    "create_engine",
    "event_store_for",
    "migrate",
]
