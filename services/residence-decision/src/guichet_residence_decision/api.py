"""Residence decision's HTTP API, the Immigration Office's (Art. 12 §1, Art. 18, 24):
parse the body, authorise the Office, build the command, run its handler. Refusals are
answered by the central problem mapping (``guichet_core.http.problems``)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from guichet_contracts.vocabulary import Authority
from guichet_core.deciding import TimelineEntry, timeline
from guichet_core.deps import RuntimeDep
from guichet_core.dossier_rules import DecisionIncomplete
from guichet_core.http.auth import Caller, require_authority
from guichet_residence_decision import domain
from guichet_residence_decision.handlers import handle, view
from guichet_residence_decision.queue import QueueEntry, queue_of

OfficeDep = Annotated[Caller, Depends(require_authority(Authority.OE))]
router = APIRouter(tags=["residence decisions"])


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    expected_version: int | None = None


class ResidenceDecision(Decision):
    authorised: bool
    valid_from: date | None = None
    valid_until: date | None = None
    reasons: str | None = Field(default=None, min_length=1, max_length=10_000)


class Reasoned(Decision):
    reasons: str = Field(min_length=1, max_length=10_000)


class DossierView(BaseModel):
    application_id: uuid.UUID
    status: str
    version: int
    work_valid_until: date | None
    timeline: list[TimelineEntry]


def _view(dossier: domain.Dossier) -> DossierView:
    return DossierView(
        application_id=dossier.application_id,
        status=dossier.status.value,
        version=dossier.version,
        work_valid_until=dossier.work_valid_until,
        timeline=timeline(dossier.history),
    )


def _given(application_id: uuid.UUID, body: Decision) -> dict[str, Any]:
    """What every command says: which dossier, when, on which version."""
    return {
        "application_id": application_id,
        "now": datetime.now(UTC),
        "expected_version": body.expected_version,
    }


@router.get("/queue")
async def queue(rt: RuntimeDep, caller: OfficeDep) -> list[QueueEntry]:
    """Single permits whose work is authorised and whose residence awaits a decision."""
    async with rt.engine.connect() as connection:
        return await queue_of(connection, today=date.today())


@router.get("/dossiers/{application_id}")
async def dossier(application_id: uuid.UUID, rt: RuntimeDep, caller: OfficeDep) -> DossierView:
    """The Office's view of one single-permit dossier."""
    return _view(await view(rt, application_id))


@router.post("/dossiers/{application_id}/residence-decision")
async def residence_decision(
    application_id: uuid.UUID, body: ResidenceDecision, rt: RuntimeDep, caller: OfficeDep
) -> DossierView:
    """Authorise residence (the single permit is granted) or refuse it with reasons."""
    given = _given(application_id, body)
    if not body.authorised:
        command = domain.RefuseResidence(**given, reasons=body.reasons or "")
        return _view(await handle(rt, command))
    if body.valid_from is None or body.valid_until is None:
        raise DecisionIncomplete("an authorisation states valid_from and valid_until")
    authorise = domain.AuthoriseResidence(
        **given, valid_from=body.valid_from, valid_until=body.valid_until
    )
    return _view(await handle(rt, authorise))


@router.post("/dossiers/{application_id}/withdrawal")
async def withdrawal(
    application_id: uuid.UUID, body: Reasoned, rt: RuntimeDep, caller: OfficeDep
) -> DossierView:
    """Withdraw a granted single permit, with reasons (Art. 18, 24)."""
    command = domain.WithdrawPermit(**_given(application_id, body), reasons=body.reasons)
    return _view(await handle(rt, command))


@router.post("/dossiers/{application_id}/end-of-stay")
async def end_of_stay(
    application_id: uuid.UUID, body: Reasoned, rt: RuntimeDep, caller: OfficeDep
) -> DossierView:
    """End the stay of a single-permit holder, with reasons (Art. 18, 24)."""
    command = domain.EndStay(**_given(application_id, body), reasons=body.reasons)
    return _view(await handle(rt, command))
