"""Residence decision's HTTP API and its wiring: the Immigration Office (Art. 12 §1)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field

from guichet_contracts import (
    ApplicationDeclaredAdmissible,
    ApplicationFiled,
    AuthorisationWithdrawn,
    DomainEvent,
    NegativeDecisionTaken,
    SupplementaryDocumentsRequested,
    SupplementaryDocumentsSupplied,
    WorkAuthorised,
)
from guichet_contracts.sealed import SealedData
from guichet_contracts.topics import INTAKE_TOPIC, REGIONAL_DECISION_TOPIC, RESIDENCE_DECISION_TOPIC
from guichet_core.auth import Authority, Caller, require_authority
from guichet_core.deps import RuntimeDep
from guichet_core.dossier import UnknownDossier, refusals_as_http
from guichet_core.service import Runtime, ServiceSpec, SubscriptionSpec, create_app
from guichet_residence_decision import domain
from guichet_residence_decision.handlers import OFFICE, Decide, on_received
from guichet_residence_decision.handlers import queue as residence_queue
from guichet_residence_decision.handlers import residence_queue as residence_queue_table
from guichet_residence_decision.settings import ResidenceDecisionSettings

TOPIC = RESIDENCE_DECISION_TOPIC


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


def _view(dossier: domain.Dossier) -> dict[str, Any]:
    return {
        "application_id": dossier.application_id,
        "status": dossier.status.value,
        "version": dossier.version,
        "work_valid_until": dossier.work_valid_until,
        "timeline": [{"step": step, "at": at} for step, at in dossier.history],
    }


async def _run(
    rt: Runtime, application_id: uuid.UUID, decision: Decide, body: Decision
) -> dict[str, Any]:
    with refusals_as_http(conflicts=(domain.Refused,)):
        return _view(
            await OFFICE.decide(
                rt, application_id, decision, expected_version=body.expected_version
            )
        )


async def _run_negative(
    rt: Runtime,
    application_id: uuid.UUID,
    decision: Callable[[domain.Dossier, SealedData], list[DomainEvent]],
    body: Decision,
    reasons: str | None,
) -> dict[str, Any]:
    """A negative decision: the handler seals its reasons once the dossier is found
    (Art. 24; no data key for an unknown id)."""
    with refusals_as_http(conflicts=(domain.Refused,)):
        return _view(
            await OFFICE.decide_negative(
                rt,
                application_id,
                decision,
                reasons=reasons,
                expected_version=body.expected_version,
            )
        )


def _now() -> datetime:
    return datetime.now(UTC)


@router.get("/queue")
async def queue(rt: RuntimeDep, caller: OfficeDep) -> list[dict[str, Any]]:
    """Single permits whose work is authorised and whose residence awaits a decision."""
    async with rt.engine.connect() as connection:
        return await residence_queue(connection, today=date.today())


@router.get("/dossiers/{application_id}")
async def dossier(application_id: uuid.UUID, rt: RuntimeDep, caller: OfficeDep) -> dict[str, Any]:
    """The Office's view of one single-permit dossier."""
    try:
        return _view(await OFFICE.view(rt, application_id))
    except UnknownDossier as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error


@router.post("/dossiers/{application_id}/residence-decision")
async def residence_decision(
    application_id: uuid.UUID, body: ResidenceDecision, rt: RuntimeDep, caller: OfficeDep
) -> dict[str, Any]:
    """Authorise residence (the single permit is granted) or refuse it with reasons."""
    if body.authorised:
        if body.valid_from is None or body.valid_until is None:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                "an authorisation states valid_from and valid_until",
            )
        start, end = body.valid_from, body.valid_until
        act = f"SP-{application_id.hex[:12].upper()}"
        return await _run(
            rt,
            application_id,
            lambda d: domain.authorise_residence(d, start, end, _now(), act),
            body,
        )
    return await _run_negative(
        rt,
        application_id,
        lambda d, sealed: domain.refuse_residence(d, sealed, _now()),
        body,
        body.reasons,
    )


@router.post("/dossiers/{application_id}/withdrawal")
async def withdrawal(
    application_id: uuid.UUID, body: Reasoned, rt: RuntimeDep, caller: OfficeDep
) -> dict[str, Any]:
    """Withdraw a granted single permit, with reasons (Art. 18, 24)."""
    return await _run_negative(
        rt,
        application_id,
        lambda d, sealed: domain.withdraw_permit(d, sealed, _now()),
        body,
        body.reasons,
    )


@router.post("/dossiers/{application_id}/end-of-stay")
async def end_of_stay(
    application_id: uuid.UUID, body: Reasoned, rt: RuntimeDep, caller: OfficeDep
) -> dict[str, Any]:
    """End the stay of a single-permit holder, with reasons (Art. 18, 24)."""
    return await _run_negative(
        rt,
        application_id,
        lambda d, sealed: domain.end_stay(d, sealed, _now()),
        body,
        body.reasons,
    )


SPEC = ServiceSpec(
    name="residence-decision",
    title="Guichet residence decision",
    description="Residence decisions of the Immigration Office (Office des étrangers / Dienst "
    "Vreemdelingenzaken) on single-permit applications once work is authorised "
    "(cooperation agreement of 31 January 2025, Art. 12 §1, Art. 18, Art. 24).",
    topic=TOPIC,
    migrations=Path(__file__).parent / "migrations" / "versions",
    routers=[router],
    dossier_tables=[(residence_queue_table, "application_id")],
    subscriptions=[
        SubscriptionSpec(
            group="residence-decision.dossiers",
            topics=[INTAKE_TOPIC, REGIONAL_DECISION_TOPIC],
            handlers={
                event.event_type: on_received
                for event in (
                    ApplicationFiled,
                    ApplicationDeclaredAdmissible,
                    SupplementaryDocumentsRequested,
                    SupplementaryDocumentsSupplied,
                    WorkAuthorised,
                    NegativeDecisionTaken,
                    AuthorisationWithdrawn,
                )
            },
        )
    ],
)


def build(settings: ResidenceDecisionSettings | None = None) -> FastAPI:
    return create_app(SPEC, settings or ResidenceDecisionSettings())
