"""Regional decision's HTTP API (Art. 9, Art. 12 §1, Art. 20 §4, Art. 24): parse the
body, authorise the caller as a region, build the command, run its handler. Refusals
are answered by the central problem mapping (``guichet_core.http.problems``)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from guichet_contracts.vocabulary import CompetentAuthority, DecisionStep, DocumentKind
from guichet_core.deciding import TimelineEntry, timeline
from guichet_core.deps import RuntimeDep
from guichet_core.dossier_rules import DecisionIncomplete
from guichet_core.http.auth import REGIONS, Caller, require_authority
from guichet_regional_decision import domain
from guichet_regional_decision.handlers import handle, view
from guichet_regional_decision.queue import QueueEntry, queue_of

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


class PeriodDecision(Decision):
    valid_from: date | None = None
    valid_until: date | None = None
    reasons: str | None = Field(default=None, min_length=1, max_length=10_000)

    def period(self, what: str) -> tuple[date, date]:
        """The validity a positive decision states (422 without it)."""
        if self.valid_from is None or self.valid_until is None:
            raise DecisionIncomplete(f"{what} states valid_from and valid_until")
        return self.valid_from, self.valid_until


class WorkDecision(PeriodDecision):
    authorised: bool


class CardDecision(PeriodDecision):
    granted: bool


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
    timeline: list[TimelineEntry]


def _view(dossier: domain.Dossier) -> DossierView:
    return DossierView(
        application_id=dossier.application_id,
        authority=dossier.authority,
        kind=dossier.kind.value,
        status=dossier.status.value,
        version=dossier.version,
        open_request=dossier.open_request,
        work_valid_until=dossier.work_valid_until,
        timeline=timeline(dossier.history),
    )


def _given(application_id: uuid.UUID, body: Decision, caller: Caller) -> dict[str, Any]:
    """What every command says: which dossier, which region, when, on which version."""
    return {
        "application_id": application_id,
        "authority": CompetentAuthority(caller.authority.value),
        "now": datetime.now(UTC),
        "expected_version": body.expected_version,
    }


@router.get("/queues/{authority}")
async def queue(
    authority: CompetentAuthority, rt: RuntimeDep, caller: RegionDep, include_decided: bool = False
) -> list[QueueEntry]:
    """The region's dossiers, the most urgent decision deadline first."""
    if caller.authority.value != authority.value:
        raise domain.NotCompetent(
            f"a region reads its own queue; your token is for {caller.authority}"
        )
    async with rt.engine.connect() as connection:
        return await queue_of(
            connection, authority.value, today=date.today(), include_decided=include_decided
        )


@router.get("/dossiers/{application_id}")
async def dossier(application_id: uuid.UUID, rt: RuntimeDep, caller: RegionDep) -> DossierView:
    """The region's view of one dossier: status, version and timeline."""
    return _view(await view(rt, application_id))


@router.post("/dossiers/{application_id}/admissibility")
async def admissibility(
    application_id: uuid.UUID, body: AdmissibilityDecision, rt: RuntimeDep, caller: RegionDep
) -> DossierView:
    """Declare the application admissible, or inadmissible with reasons (Art. 12 §1)."""
    given = _given(application_id, body, caller)
    if body.admissible:
        return _view(await handle(rt, domain.DeclareAdmissible(**given)))
    step = DecisionStep.ADMISSIBILITY
    return _view(await handle(rt, domain.Refuse(**given, step=step, reasons=body.reasons or "")))


@router.post("/dossiers/{application_id}/document-requests")
async def request_documents(
    application_id: uuid.UUID, body: DocumentRequest, rt: RuntimeDep, caller: RegionDep
) -> DossierView:
    """Ask the applicant for supplementary documents by a due date (Art. 20 §4)."""
    command = domain.RequestDocuments(
        **_given(application_id, body, caller),
        document_kinds=tuple(body.document_kinds),
        due_on=body.due_on,
        explanation=body.explanation,
    )
    return _view(await handle(rt, command))


def _granted_or_refused(
    body: PeriodDecision,
    given: dict[str, Any],
    *,
    granted: bool,
    grant: type[domain.AuthoriseWork | domain.GrantProfessionalCard],
    step: DecisionStep,
    what: str,
) -> domain.Command:
    """A positive decision for its validity period, or a refusal with its reasons."""
    if granted:
        start, end = body.period(what)
        return grant(**given, valid_from=start, valid_until=end)
    return domain.Refuse(**given, step=step, reasons=body.reasons or "")


@router.post("/dossiers/{application_id}/work-decision")
async def work_decision(
    application_id: uuid.UUID, body: WorkDecision, rt: RuntimeDep, caller: RegionDep
) -> DossierView:
    """Authorise the work for a validity period, or refuse it with reasons (Art. 9)."""
    command = _granted_or_refused(
        body,
        _given(application_id, body, caller),
        granted=body.authorised,
        grant=domain.AuthoriseWork,
        step=DecisionStep.WORK,
        what="an authorisation",
    )
    return _view(await handle(rt, command))


@router.post("/dossiers/{application_id}/professional-card-decision")
async def card_decision(
    application_id: uuid.UUID, body: CardDecision, rt: RuntimeDep, caller: RegionDep
) -> DossierView:
    """Grant a professional card for a validity period, or refuse it with reasons."""
    command = _granted_or_refused(
        body,
        _given(application_id, body, caller),
        granted=body.granted,
        grant=domain.GrantProfessionalCard,
        step=DecisionStep.PROFESSIONAL_CARD,
        what="a professional card",
    )
    return _view(await handle(rt, command))


@router.post("/dossiers/{application_id}/withdrawal")
async def withdrawal(
    application_id: uuid.UUID, body: Withdrawal, rt: RuntimeDep, caller: RegionDep
) -> DossierView:
    """Withdraw a work authorisation the region granted, with reasons (Art. 18, 24)."""
    command = domain.Withdraw(**_given(application_id, body, caller), reasons=body.reasons)
    return _view(await handle(rt, command))
