"""The region's use cases: one handler per command, each in one unit of work.

Load the dossier's stream and fold it, check the caller is the competent region, only
then seal a negative decision's reasons, decide, append (private reasons unpublished,
decisions published), update the queue and queue the applicants' notices: all or
nothing (``guichet_core.deciding``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from guichet_core.deciding import Dossiers, Notices, dispatcher
from guichet_core.service import Runtime
from guichet_regional_decision import messages
from guichet_regional_decision.domain import (
    PRIVATE,
    AuthoriseWork,
    Command,
    DeclareAdmissible,
    Dossier,
    GrantProfessionalCard,
    Reasoned,
    Refuse,
    RequestDocuments,
    Withdraw,
    check_competent,
    decide,
    evolve,
)
from guichet_regional_decision.queue import project

DOSSIERS: Dossiers[Dossier] = Dossiers(
    evolve=evolve,
    private=PRIVATE,
    project=project,
    notices=Notices(of=messages.notice_of, subjects=messages.SUBJECTS),
)


async def _positive(rt: Runtime, command: Command, *, details: str = "") -> Dossier:
    async with DOSSIERS.deciding(rt, command) as dossier:
        return await dossier.record(decide(dossier.state, command), details=details)


async def _negative(rt: Runtime, command: Reasoned) -> Dossier:
    """The reasons are sealed once the dossier is found, at the version decided on, and
    the caller is its competent region (Art. 9): a refused call seals nothing, and a call
    on an unknown id makes no data key. They reach the worker alone (Art. 24)."""
    async with DOSSIERS.deciding(rt, command) as dossier:
        check_competent(dossier.state, command.authority)  # before anything is sealed
        return await dossier.record_reasoned(decide, command)


async def declare_admissible(rt: Runtime, command: DeclareAdmissible) -> Dossier:
    return await _positive(rt, command)


async def refuse(rt: Runtime, command: Refuse) -> Dossier:
    return await _negative(rt, command)


async def request_documents(rt: Runtime, command: RequestDocuments) -> Dossier:
    return await _positive(rt, command, details=messages.documents_details(command))


async def authorise_work(rt: Runtime, command: AuthoriseWork) -> Dossier:
    return await _positive(rt, command)


async def grant_professional_card(rt: Runtime, command: GrantProfessionalCard) -> Dossier:
    return await _positive(rt, command)


async def withdraw(rt: Runtime, command: Withdraw) -> Dossier:
    return await _negative(rt, command)


COMMAND_HANDLERS: dict[type[Command], Callable[[Runtime, Any], Awaitable[Dossier]]] = {
    DeclareAdmissible: declare_admissible,
    Refuse: refuse,
    RequestDocuments: request_documents,
    AuthoriseWork: authorise_work,
    GrantProfessionalCard: grant_professional_card,
    Withdraw: withdraw,
}


handle = dispatcher(COMMAND_HANDLERS)  # a command, run by its handler
view = DOSSIERS.view  # the dossier as its stream says (UnknownDossier, DossierErased)
