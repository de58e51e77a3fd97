"""The Office's use cases: one handler per command, each in one unit of work.

Load the dossier's stream and fold it, only then seal a negative decision's reasons,
decide, append (private reasons unpublished, decisions published), update the queue
and queue the applicants' notices: all or nothing (``guichet_core.deciding``). The
route's rule (the Office's token) is the competence check: the Office decides the
residence of every single permit (Art. 12 §1).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from guichet_core.deciding import Dossiers, Notices, dispatcher
from guichet_core.service import Runtime
from guichet_residence_decision import messages
from guichet_residence_decision.domain import (
    PRIVATE,
    AuthoriseResidence,
    Command,
    Dossier,
    EndStay,
    Reasoned,
    RefuseResidence,
    WithdrawPermit,
    decide,
    evolve,
)
from guichet_residence_decision.queue import project

DOSSIERS: Dossiers[Dossier] = Dossiers(
    evolve=evolve,
    private=PRIVATE,
    project=project,
    notices=Notices(of=messages.notice_of, subjects=messages.SUBJECTS),
)


async def authorise_residence(rt: Runtime, command: AuthoriseResidence) -> Dossier:
    async with DOSSIERS.deciding(rt, command) as dossier:
        return await dossier.record(decide(dossier.state, command))


async def _negative(rt: Runtime, command: Reasoned) -> Dossier:
    """The reasons are sealed once the dossier is found at the version decided on (no data
    key for an unknown id); they reach the worker alone (Art. 24)."""
    async with DOSSIERS.deciding(rt, command) as dossier:
        return await dossier.record_reasoned(decide, command)


async def refuse_residence(rt: Runtime, command: RefuseResidence) -> Dossier:
    return await _negative(rt, command)


async def withdraw_permit(rt: Runtime, command: WithdrawPermit) -> Dossier:
    return await _negative(rt, command)


async def end_stay(rt: Runtime, command: EndStay) -> Dossier:
    return await _negative(rt, command)


COMMAND_HANDLERS: dict[type[Command], Callable[[Runtime, Any], Awaitable[Dossier]]] = {
    AuthoriseResidence: authorise_residence,
    RefuseResidence: refuse_residence,
    WithdrawPermit: withdraw_permit,
    EndStay: end_stay,
}


handle = dispatcher(COMMAND_HANDLERS)  # a command, run by its handler
view = DOSSIERS.view  # the dossier as its stream says (UnknownDossier, DossierErased)
