"""Retention's use cases, one handler per command; no HTTP here.

An appeal lodged or ended is decided on the dossier's fold (``domain.decide``) and goes
on retention's topic and into the schedule in one unit of work, or nothing does. Purges
are ``purge``'s; the data subject's requests, ``rights_handlers``'.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from guichet_core.kernel.codec import new_event
from guichet_core.service import Runtime
from guichet_retention.deps import clock_of, rules_of
from guichet_retention.domain import EndAppeal, LodgeAppeal, UnknownDossier, decide, evolve
from guichet_retention.purge import purge, purge_due, refuse_if_held
from guichet_retention.store import forecast, save, scheduled, state_of


class NotScheduled(LookupError):
    """Retention has no schedule row for that dossier (a 404)."""


__all__ = [
    "COMMAND_HANDLERS",
    "NotScheduled",
    "RecordAppeal",
    "RunPurges",
    "forecast_until",
    "purge",
    "purge_due",
    "record_appeal",
    "refuse_if_held",
    "run_purges",
    "schedule_of",
]


@dataclass(frozen=True)
class RecordAppeal:
    """An appeal lodged on, or ended for, one dossier (Art. 27 §1 3°)."""

    dossier_id: str
    command: LodgeAppeal | EndAppeal


@dataclass(frozen=True)
class RunPurges:
    """Delete now every dossier whose retention has ended (Art. 27 §2)."""


async def record_appeal(rt: Runtime, request: RecordAppeal) -> None:
    """Refused (``AppealRefused``) before anything is written, or recorded in one unit of
    work: the event on retention's topic and the dossier's new deletion date."""
    rules, today = rules_of(rt), clock_of(rt).today()
    async with rt.unit_of_work() as uow:
        version = await uow.stream_version(request.dossier_id)
        if version == 0:
            raise UnknownDossier("retention knows no such dossier")
        state = await state_of(uow.connection, request.dossier_id)
        events = decide(state, request.command, today=today)
        await uow.append(
            request.dossier_id,
            [new_event(event) for event in events],
            expected_version=version,
            publish_to=rt.topic,
        )
        for event in events:
            state = evolve(state, event)
        await save(uow.connection, state, rules)


async def schedule_of(rt: Runtime, dossier_id: str) -> dict[str, Any]:
    """When the dossier will be deleted, under which rule of Art. 27, and why."""
    async with rt.engine.connect() as connection:
        row = await scheduled(connection, dossier_id)
    if row is None:
        raise NotScheduled("no such dossier in the schedule")
    return row


async def forecast_until(rt: Runtime, until: date) -> list[dict[str, Any]]:
    """What will be deleted until ``until``, and what appeals hold."""
    async with rt.engine.connect() as connection:
        return await forecast(connection, until)


async def run_purges(rt: Runtime, request: RunPurges) -> list[str]:
    """The ids of the dossiers purged by this run."""
    return await purge_due(rt, clock_of(rt), rules_of(rt))


COMMAND_HANDLERS: dict[type, Callable[[Runtime, Any], Awaitable[Any]]] = {
    RecordAppeal: record_appeal,
    RunPurges: run_purges,
}
