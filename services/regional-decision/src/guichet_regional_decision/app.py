"""Regional decision's HTTP API and its wiring (Art. 9, Art. 12 §1, Art. 20 §4, Art. 24)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field

from guichet_contracts import ApplicationFiled, DomainEvent, SupplementaryDocumentsSupplied
from guichet_contracts.sealed import SealedData
from guichet_contracts.topics import INTAKE_TOPIC, REGIONAL_DECISION_TOPIC
from guichet_contracts.vocabulary import (
    CompetentAuthority,
    DecisionStep,
    DocumentKind,
)
from guichet_core.auth import REGIONS, Caller, require_authority
from guichet_core.deps import RuntimeDep
from guichet_core.dossier import UnknownDossier, refusals_as_http
from guichet_core.service import Runtime, ServiceSpec, SubscriptionSpec, create_app
from guichet_regional_decision import domain
from guichet_regional_decision.handlers import REGION, Decide, on_received
from guichet_regional_decision.queue import queue_of, work_queue
from guichet_regional_decision.settings import RegionalDecisionSettings

TOPIC = REGIONAL_DECISION_TOPIC


RegionDep = Annotated[Caller, Depends(require_authority(REGIONS))]
router = APIRouter(tags=["regional decisions"])


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    expected_version: int | None = Field(
        default=None, description="The version you decided on; a newer one refuses (409)"
    )


class AdmissibilityDecision(Decision):
    admissible: bool
    reasons: str | None = Field(default=None, min_length=1, max_length=10_000)


class DocumentRequest(Decision):
    document_kinds: list[DocumentKind] = Field(min_length=1)
    due_on: date
    explanation: str = Field(min_length=1, max_length=5_000)


class WorkDecision(Decision):
    authorised: bool
    valid_from: date | None = None
    valid_until: date | None = None
    reasons: str | None = Field(default=None, min_length=1, max_length=10_000)


class Withdrawal(Decision):
    reasons: str = Field(min_length=1, max_length=10_000)


class DossierView(BaseModel):
    application_id: uuid.UUID
    authority: CompetentAuthority
    kind: str
    status: str
    version: int
    open_request: str | None
    work_valid_until: date | None
    timeline: list[dict[str, Any]]


def _view(dossier: domain.Dossier) -> DossierView:
    return DossierView(
        application_id=dossier.application_id,
        authority=dossier.authority,
        kind=dossier.kind.value,
        status=dossier.status.value,
        version=dossier.version,
        open_request=dossier.open_request,
        work_valid_until=dossier.work_valid_until,
        timeline=[{"step": step, "at": at} for step, at in dossier.history],
    )


async def _run(
    rt: Runtime, application_id: uuid.UUID, decision: Decide, body: Decision, details: str = ""
) -> DossierView:
    with refusals_as_http(forbidden=(domain.NotCompetent,), conflicts=(domain.Refused,)):
        return _view(
            await REGION.decide(
                rt,
                application_id,
                decision,
                expected_version=body.expected_version,
                details=details,
            )
        )


async def _run_negative(
    rt: Runtime,
    application_id: uuid.UUID,
    decision: Callable[[domain.Dossier, SealedData], list[DomainEvent]],
    body: Decision,
    *,
    authority: CompetentAuthority,
    reasons: str | None,
) -> DossierView:
    """A negative decision: the handler seals its reasons once the dossier is found and
    the caller is competent for it (Art. 9, 24)."""
    with refusals_as_http(forbidden=(domain.NotCompetent,), conflicts=(domain.Refused,)):
        return _view(
            await REGION.decide_negative(
                rt,
                application_id,
                decision,
                reasons=reasons,
                expected_version=body.expected_version,
                competent=lambda d: domain.check_competent(d, authority),
            )
        )


def _authority(caller: Caller) -> CompetentAuthority:
    return CompetentAuthority(caller.authority.value)


def _now() -> datetime:
    return datetime.now(UTC)


@router.get("/queues/{authority}")
async def queue(
    authority: CompetentAuthority, rt: RuntimeDep, caller: RegionDep, include_decided: bool = False
) -> list[dict[str, Any]]:
    """The region's dossiers, the most urgent decision deadline first."""
    if caller.authority.value != authority.value:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"a region reads its own queue; your token is for {caller.authority}",
        )
    async with rt.engine.connect() as connection:
        return await queue_of(
            connection, authority.value, today=date.today(), include_decided=include_decided
        )


@router.get("/dossiers/{application_id}")
async def dossier(application_id: uuid.UUID, rt: RuntimeDep, caller: RegionDep) -> DossierView:
    """The region's view of one dossier: status, version and timeline."""
    try:
        return _view(await REGION.view(rt, application_id))
    except UnknownDossier as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error


@router.post("/dossiers/{application_id}/admissibility")
async def admissibility(
    application_id: uuid.UUID, body: AdmissibilityDecision, rt: RuntimeDep, caller: RegionDep
) -> DossierView:
    """Declare the application admissible, or inadmissible with reasons (Art. 12 §1)."""
    authority = _authority(caller)
    if body.admissible:
        return await _run(
            rt, application_id, lambda d: domain.declare_admissible(d, authority, _now()), body
        )
    return await _run_negative(
        rt,
        application_id,
        lambda d, sealed: domain.refuse(d, authority, DecisionStep.ADMISSIBILITY, sealed, _now()),
        body,
        authority=authority,
        reasons=body.reasons,
    )


@router.post("/dossiers/{application_id}/document-requests")
async def request_documents(
    application_id: uuid.UUID, body: DocumentRequest, rt: RuntimeDep, caller: RegionDep
) -> DossierView:
    """Ask the applicant for supplementary documents by a due date (Art. 20 §4)."""
    authority = _authority(caller)
    details = f"{body.explanation}\n\n" + ", ".join(k.value for k in body.document_kinds)
    details += f"\nDue: {body.due_on.isoformat()}"
    return await _run(
        rt,
        application_id,
        lambda d: domain.request_documents(
            d, authority, tuple(body.document_kinds), body.due_on, _now()
        ),
        body,
        details,
    )


@router.post("/dossiers/{application_id}/work-decision")
async def work_decision(
    application_id: uuid.UUID, body: WorkDecision, rt: RuntimeDep, caller: RegionDep
) -> DossierView:
    """Authorise the work for a validity period, or refuse it with reasons."""
    authority = _authority(caller)
    if body.authorised:
        if body.valid_from is None or body.valid_until is None:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                "an authorisation states valid_from and valid_until",
            )
        start, end = body.valid_from, body.valid_until
        return await _run(
            rt,
            application_id,
            lambda d: domain.authorise_work(d, authority, start, end, _now()),
            body,
        )

    def refusal(d: domain.Dossier, sealed: SealedData) -> list[DomainEvent]:
        return domain.refuse(d, authority, DecisionStep.WORK, sealed, _now())

    return await _run_negative(
        rt, application_id, refusal, body, authority=authority, reasons=body.reasons
    )


class CardDecision(Decision):
    granted: bool
    valid_from: date | None = None
    valid_until: date | None = None
    reasons: str | None = Field(default=None, min_length=1, max_length=10_000)


@router.post("/dossiers/{application_id}/professional-card-decision")
async def card_decision(
    application_id: uuid.UUID, body: CardDecision, rt: RuntimeDep, caller: RegionDep
) -> DossierView:
    """Grant a professional card for a validity period, or refuse it with reasons."""
    authority = _authority(caller)
    if body.granted:
        if body.valid_from is None or body.valid_until is None:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                "a professional card states valid_from and valid_until",
            )
        start, end = body.valid_from, body.valid_until
        return await _run(
            rt,
            application_id,
            lambda d: domain.grant_professional_card(d, authority, start, end, _now()),
            body,
        )

    def refusal(d: domain.Dossier, sealed: SealedData) -> list[DomainEvent]:
        return domain.refuse(d, authority, DecisionStep.PROFESSIONAL_CARD, sealed, _now())

    return await _run_negative(
        rt, application_id, refusal, body, authority=authority, reasons=body.reasons
    )


@router.post("/dossiers/{application_id}/withdrawal")
async def withdrawal(
    application_id: uuid.UUID, body: Withdrawal, rt: RuntimeDep, caller: RegionDep
) -> DossierView:
    """Withdraw a work authorisation the region granted, with reasons (Art. 18, 24)."""
    authority = _authority(caller)
    return await _run_negative(
        rt,
        application_id,
        lambda d, sealed: domain.withdraw(d, authority, sealed, _now()),
        body,
        authority=authority,
        reasons=body.reasons,
    )


SPEC = ServiceSpec(
    name="regional-decision",
    title="Guichet regional decision",
    description="Admissibility and work decisions of the competent region "
    "(cooperation agreement of 31 January 2025, Art. 9, Art. 12 §1, Art. 20 §4, Art. 24).",
    topic=TOPIC,
    migrations=Path(__file__).parent / "migrations" / "versions",
    routers=[router],
    dossier_tables=[(work_queue, "application_id")],
    subscriptions=[
        SubscriptionSpec(
            group="regional-decision.intake",
            topics=[INTAKE_TOPIC],
            handlers={
                ApplicationFiled.event_type: on_received,
                SupplementaryDocumentsSupplied.event_type: on_received,
            },
        )
    ],
)


def build(settings: RegionalDecisionSettings | None = None) -> FastAPI:
    return create_app(SPEC, settings or RegionalDecisionSettings())
