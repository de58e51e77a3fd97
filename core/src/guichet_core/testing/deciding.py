"""In-memory fakes of what a deciding service's handlers use (STYLE 10): a runtime whose
unit of work keeps streams in a list and whose vault counts what it seals, so a
handler's order (find the dossier, check the caller, only then seal) is tested in
milliseconds, without a server."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from guichet_contracts import DomainEvent
from guichet_contracts.sealed import SealedData
from guichet_core.kernel.codec import new_event
from guichet_core.kernel.store.records import NewEvent, RecordedEvent


@dataclass
class FakeVault:
    sealed: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    async def ensure_not_erased(self, dossier_id: str) -> None:
        return None

    async def seal(self, dossier_id: str, data: dict[str, Any]) -> SealedData:
        self.sealed.append((dossier_id, data))
        return SealedData(key_id=dossier_id, alg="AES-256-GCM", nonce="AA", ciphertext="AA")


@dataclass
class FakeUnitOfWork:
    """Streams in a list; what was appended, and to which topic (None: kept private)."""

    records: list[RecordedEvent] = field(default_factory=list)
    published: list[tuple[str, str | None]] = field(default_factory=list)  # type, topic
    connection: object = None

    async def read_stream(self, stream_id: str) -> list[RecordedEvent]:
        return [record for record in self.records if record.stream_id == stream_id]

    async def stream_version(self, stream_id: str) -> int:
        return len(await self.read_stream(stream_id))

    async def append(
        self,
        stream_id: str,
        events: Sequence[NewEvent],
        *,
        expected_version: int | None,
        publish_to: str | None = None,
    ) -> list[RecordedEvent]:
        appended = [self._record(stream_id, event) for event in events]
        self.published += [(event.event_type, publish_to) for event in events]
        return appended

    def given(self, *events: DomainEvent) -> None:
        """Events already in the dossiers' streams."""
        for event in events:
            self._record(str(event.application_id), new_event(event, now=datetime.now(UTC)))

    def _record(self, stream_id: str, event: NewEvent) -> RecordedEvent:
        record = RecordedEvent(
            stream_id=stream_id,
            version=len([r for r in self.records if r.stream_id == stream_id]) + 1,
            position=len(self.records) + 1,
            event_id=event.event_id,
            event_type=event.event_type,
            schema_version=event.schema_version,
            data=event.data,
            occurred_at=event.occurred_at,
            recorded_at=event.occurred_at,
            metadata=event.metadata,
        )
        self.records.append(record)
        return record


@dataclass
class FakeRuntime:
    """What the handlers read of ``Runtime``: the vault, the topic, one unit of work."""

    uow: FakeUnitOfWork = field(default_factory=FakeUnitOfWork)
    vault: FakeVault = field(default_factory=FakeVault)
    topic: str = "guichet.deciding.v1"

    @contextlib.asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[FakeUnitOfWork]:
        yield self.uow


async def no_projection(connection: object, state: object, filed: object) -> None:
    """A queue the handler tests do not look at."""
    return None
