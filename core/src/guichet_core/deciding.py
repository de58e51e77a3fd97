"""What the deciding services share (regional and residence decisions): the fold of a
dossier's stream, one decision in one unit of work, the timeline they show.

A deciding service gives ``Dossiers`` its pure ``evolve``, the events it keeps private
(the reasons of its negative decisions, never published, Art. 24), the queue it projects
and the notices it sends; its handlers then read a dossier and decide on it::

    async with DOSSIERS.deciding(rt, command) as dossier:
        check_competent(dossier.state, command.authority)  # before anything is sealed
        return await dossier.record_reasoned(decide, command)
"""

from __future__ import annotations

import contextlib
import dataclasses
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncConnection

from guichet_contracts import ApplicationFiled, CloudEventEnvelope, DomainEvent, EventRegistry
from guichet_contracts.sealed import SealedData
from guichet_contracts.vocabulary import TimelineStep
from guichet_core.dossier import append_decision, load, record_received
from guichet_core.dossier_rules import (
    DossierCommand,
    ReasonedCommand,
    ReasonsMissing,
    UnknownDossier,
)
from guichet_core.kernel.store.records import ConcurrencyConflict, RecordedEvent
from guichet_core.kernel.store.sql import UnitOfWork
from guichet_core.service import Runtime
from guichet_core.stores.applicant import Subjects, notify_step


class StaleDossier(ConcurrencyConflict):
    """The caller decided on an older version of the dossier (HTTP 409)."""


class Versioned(Protocol):
    """A dossier's state: a frozen dataclass that knows its stream's version."""

    @property
    def version(self) -> int: ...


S = TypeVar("S", bound=Versioned)


class Evolve(Protocol[S]):
    """A domain's pure fold step: the dossier after ``event``, recorded ``at``."""

    def __call__(self, state: S | None, event: DomainEvent, *, at: datetime) -> S: ...


History = Sequence[tuple[TimelineStep, datetime]]


class TimelineEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    step: TimelineStep
    at: datetime


def timeline(history: History) -> list[TimelineEntry]:
    return [TimelineEntry(step=step, at=at) for step, at in history]


@dataclass(frozen=True)
class Notices:
    """What the applicants are told of a decision (Art. 20 §5): the notice an event makes,
    if any, and its subject line in each language."""

    of: Callable[[DomainEvent], str | None]
    subjects: Subjects


@dataclass(frozen=True)
class Folded(Generic[S]):
    state: S
    filed: ApplicationFiled
    events: list[tuple[DomainEvent, RecordedEvent]]


@dataclass(frozen=True)
class Dossiers(Generic[S]):
    """One deciding service's dossiers: how a stream folds, which of its events stay in
    its store, the queue it projects and the notices it sends."""

    evolve: Evolve[S]
    private: EventRegistry
    project: Callable[[AsyncConnection, S, ApplicationFiled], Awaitable[None]]
    notices: Notices

    def fold(self, events: list[tuple[DomainEvent, RecordedEvent]]) -> Folded[S]:
        state: S | None = None
        filed: ApplicationFiled | None = None
        for event, record in events:
            if isinstance(event, ApplicationFiled):
                filed = event
            state = self.evolve(state, event, at=record.occurred_at)
            state = dataclasses.replace(state, version=record.version)  # type: ignore[type-var]
        if state is None or filed is None:
            raise UnknownDossier("no dossier of that id in this service's records")
        return Folded(state, filed, events)

    async def load(self, uow: UnitOfWork, application_id: uuid.UUID) -> Folded[S]:
        loaded = await load(uow, str(application_id), self.private)
        if not loaded.events:
            raise UnknownDossier(f"no dossier {application_id} in this service's records")
        return self.fold(loaded.events)

    async def receive(
        self, uow: UnitOfWork, event: DomainEvent, envelope: CloudEventEnvelope
    ) -> None:
        """Another service's event into our stream of the dossier, and the queue after it."""
        await record_received(uow, str(event.application_id), event, envelope)
        folded = await self.load(uow, event.application_id)
        await self.project(uow.connection, folded.state, folded.filed)

    async def view(self, rt: Runtime, application_id: uuid.UUID) -> S:
        # The stream outlives the erasure (what it holds in clear is not personal); the
        # dossier does not.
        await rt.vault.ensure_not_erased(str(application_id))
        async with rt.store.unit_of_work() as uow:
            return (await self.load(uow, application_id)).state

    @contextlib.asynccontextmanager
    async def deciding(self, rt: Runtime, command: DossierCommand) -> AsyncIterator[Decision[S]]:
        """The dossier at the version the command decided on, in the decision's one unit of
        work; an erased dossier is refused first (``DossierErased``, 410), whether this
        service has erased its rows yet or not."""
        application_id, expected_version = command.application_id, command.expected_version
        await rt.vault.ensure_not_erased(str(application_id))
        async with rt.unit_of_work() as uow:
            folded = await self.load(uow, application_id)
            version = folded.state.version
            if expected_version is not None and expected_version != version:
                raise StaleDossier(str(application_id), expected_version, version)
            yield Decision(self, rt, uow, folded)


@dataclass(frozen=True)
class Decision(Generic[S]):
    """One decision on one dossier, inside its unit of work."""

    dossiers: Dossiers[S]
    rt: Runtime
    uow: UnitOfWork
    folded: Folded[S]

    @property
    def state(self) -> S:
        return self.folded.state

    @property
    def dossier_id(self) -> uuid.UUID:
        return self.folded.filed.application_id

    async def seal(self, reasons: str | None) -> SealedData:
        """A negative decision's reasons, sealed with the dossier's key (Art. 24). Call it
        once the caller is known competent: a refused call makes no ciphertext."""
        if not reasons:
            raise ReasonsMissing(
                "a negative decision states its reasons; they reach the worker only (Art. 24)"
            )
        return await self.rt.vault.seal(str(self.dossier_id), {"reasons": reasons})

    async def record_reasoned(
        self, decide: Callable[..., Sequence[DomainEvent]], command: ReasonedCommand
    ) -> S:
        """A negative decision: its reasons sealed, the events ``decide`` makes of them
        recorded, the reasons told to the worker alone (Art. 24). Call it once the caller
        is known competent for the dossier."""
        sealed = await self.seal(command.reasons)
        events = decide(self.state, command, sealed=sealed)
        return await self.record(events, reasons=command.reasons)

    async def record(
        self, events: Sequence[DomainEvent], *, details: str = "", reasons: str | None = None
    ) -> S:
        """Append the events (the private ones unpublished), project the queue and queue
        the applicants' notices (``reasons`` for the worker alone); the dossier after."""
        recorded = await append_decision(
            self.uow,
            str(self.dossier_id),
            events,
            expected_version=self.state.version,
            topic=self.rt.topic,
            private=self.dossiers.private,
        )
        after = self.dossiers.fold([*self.folded.events, *zip(events, recorded, strict=True)])
        await self.dossiers.project(self.uow.connection, after.state, after.filed)
        for event, record in zip(events, recorded, strict=True):
            await self._notify(event, record, details=details, reasons=reasons)
        return after.state

    async def _notify(
        self, event: DomainEvent, record: RecordedEvent, *, details: str, reasons: str | None
    ) -> None:
        notice = self.dossiers.notices.of(event)
        if notice is None:
            return
        await notify_step(
            self.uow,
            self.rt.vault,
            self.folded.filed,
            cause=record.event_id,
            step=notice,
            subjects=self.dossiers.notices.subjects,
            details=details,
            reasons=reasons,
        )


def dispatcher(
    handlers: Mapping[type[Any], Callable[[Runtime, Any], Awaitable[S]]],
) -> Callable[[Runtime, Any], Awaitable[S]]:
    """One entry for a service's ``COMMAND_HANDLERS``: a command runs by its handler."""

    async def handle(rt: Runtime, command: Any) -> S:
        return await handlers[type(command)](rt, command)

    return handle
