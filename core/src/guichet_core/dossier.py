"""Loading a dossier stream and appending a decision to it, for the deciding services.

A deciding service's stream holds three kinds of events: events it received from
other services (recorded with their original id, so their provenance stays visible),
its own decisions (published on its topic), and private events only it reads, such as
the reasons of its negative decisions (never published, Art. 24).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from fastapi import HTTPException, status

from guichet_contracts import (
    REGISTRY,
    ApplicationFiled,
    CloudEventEnvelope,
    DomainEvent,
    EventRegistry,
    UnknownEventType,
)
from guichet_contracts.sealed import SealedData
from guichet_core.applicant import Subjects, notify_step
from guichet_core.codec import new_event
from guichet_core.service import Runtime
from guichet_core.store.records import ConcurrencyConflict, NewEvent, RecordedEvent
from guichet_core.store.sql import UnitOfWork
from guichet_core.tracing import current_traceparent


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


class UnknownDossier(LookupError):
    """This service holds no such dossier (HTTP 404)."""


class StaleDossier(ConcurrencyConflict):
    """The caller decided on an older version of the dossier (HTTP 409)."""


class ReasonsMissing(ValueError):
    """A negative decision without its reasons (HTTP 422, Art. 24)."""


@contextlib.contextmanager
def refusals_as_http(
    *, forbidden: tuple[type[Exception], ...] = (), conflicts: tuple[type[Exception], ...] = ()
) -> Iterator[None]:
    """A deciding route's refusals as HTTP errors: an unknown dossier 404, a caller not
    competent for it 403 (``forbidden``), a decision the dossier's state refuses 409
    (``conflicts``), missing reasons 422; a stale version is a ``ConcurrencyConflict``,
    answered 409 by the central mapping (``guichet_core.problems``)."""
    try:
        yield
    except UnknownDossier as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error
    except ReasonsMissing as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from error
    except forbidden as error:
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(error)) from error
    except conflicts as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error


State = TypeVar("State")
Fold = Callable[[Sequence[tuple[DomainEvent, RecordedEvent]]], tuple[State, ApplicationFiled]]


@dataclass(frozen=True)
class DecidingService(Generic[State]):
    """How one deciding service folds, projects and words its dossiers."""

    private: EventRegistry
    fold: Fold[State]
    version_of: Callable[[State], int]
    project: Callable[[UnitOfWork, State, ApplicationFiled], Awaitable[None]]
    step_of: Callable[[DomainEvent], str | None]  # the notification a decision event makes
    subjects: Subjects

    async def decide(
        self,
        rt: Runtime,
        application_id: uuid.UUID,
        decision: Callable[[State], list[DomainEvent]],
        *,
        expected_version: int | None,
        details: str = "",
    ) -> State:
        """Load, decide, append, project and notify in one unit of work."""

        async def events_of(state: State) -> list[DomainEvent]:
            return decision(state)

        return await self._decide(
            rt, application_id, events_of, expected_version=expected_version, details=details
        )

    async def decide_negative(
        self,
        rt: Runtime,
        application_id: uuid.UUID,
        decision: Callable[[State, SealedData], list[DomainEvent]],
        *,
        reasons: str | None,
        expected_version: int | None,
        competent: Callable[[State], None] | None = None,
    ) -> State:
        """A negative decision with its reasons (Art. 24), told to the worker alone.

        The reasons are sealed with the dossier's key only once the dossier is found, at
        the version decided on, and the caller is ``competent`` for it: a refused call
        makes no ciphertext, and a call on an unknown id no data key."""
        if not reasons:
            raise ReasonsMissing(
                "a negative decision states its reasons; they reach the worker only (Art. 24)"
            )
        stream = str(application_id)

        async def events_of(state: State) -> list[DomainEvent]:
            if competent is not None:
                competent(state)
            return decision(state, await rt.vault.seal(stream, {"reasons": reasons}))

        return await self._decide(
            rt, application_id, events_of, expected_version=expected_version, reasons=reasons
        )

    async def _decide(
        self,
        rt: Runtime,
        application_id: uuid.UUID,
        events_of: Callable[[State], Awaitable[list[DomainEvent]]],
        *,
        expected_version: int | None,
        reasons: str | None = None,
        details: str = "",
    ) -> State:
        """The one unit of work of every decision; an erased dossier is refused first
        (``DossierErased``, 410), whether this service has erased its rows yet or not."""
        stream = str(application_id)
        await rt.vault.ensure_not_erased(stream)
        async with rt.unit_of_work() as uow:
            loaded = await load(uow, stream, self.private)
            if not loaded.events:
                raise UnknownDossier(f"no dossier {application_id} in this service's records")
            state, filed = self.fold(loaded.events)
            version = self.version_of(state)
            if expected_version is not None and expected_version != version:
                raise StaleDossier(stream, expected_version, version)
            new_events = await events_of(state)
            recorded = await append_decision(
                uow,
                stream,
                new_events,
                expected_version=version,
                topic=rt.topic,
                private=self.private,
            )
            after, _ = self.fold([*loaded.events, *zip(new_events, recorded, strict=True)])
            await self.project(uow, after, filed)
            for event, record in zip(new_events, recorded, strict=True):
                step = self.step_of(event)
                if step is None:
                    continue
                await notify_step(
                    uow,
                    rt.vault,
                    filed,
                    cause=record.event_id,
                    step=step,
                    subjects=self.subjects,
                    details=details,
                    reasons=reasons,
                )
            return after

    async def view(self, rt: Runtime, application_id: uuid.UUID) -> State:
        # The stream outlives the erasure (what it holds in clear is not personal); the
        # dossier does not.
        await rt.vault.ensure_not_erased(str(application_id))
        async with rt.store.unit_of_work() as uow:
            loaded = await load(uow, str(application_id), self.private)
        if not loaded.events:
            raise UnknownDossier(f"no dossier {application_id} in this service's records")
        return self.fold(loaded.events)[0]
