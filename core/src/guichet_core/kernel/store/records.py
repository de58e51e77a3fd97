"""What the event store keeps: plain records, independent of any database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID


class ConcurrencyConflict(Exception):
    """The stream moved on since it was read: appending would overwrite someone else's decision."""

    def __init__(self, stream_id: str, expected: int, actual: int | None) -> None:
        at = f"is at version {actual}, not {expected}" if actual is not None else "moved on"
        super().__init__(
            f"dossier {stream_id} {at}: someone else changed it meanwhile; reload it and try again"
        )
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event about to be appended. ``metadata`` holds tracing and causation data."""

    event_id: UUID
    event_type: str
    schema_version: int
    data: dict[str, Any]
    occurred_at: datetime
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    """An event as stored: its stream, version within the stream and global position."""

    stream_id: str
    version: int
    position: int
    event_id: UUID
    event_type: str
    schema_version: int
    data: dict[str, Any]
    occurred_at: datetime
    recorded_at: datetime
    metadata: dict[str, str]
