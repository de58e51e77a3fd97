"""Intake's HTTP API: the applicant's single window (Art. 19-20). Thin routes: parse,
authorise, build the command, call its handler, answer a typed model; refusals are
mapped once (``problems``)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, status
from pydantic import BaseModel

from guichet_contracts.vocabulary import Authority, CompetentAuthority
from guichet_core.deps import RuntimeDep
from guichet_core.http.auth import Caller, require_authority
from guichet_core.http.http_limits import body_limit
from guichet_core.http.problem_docs import PROBLEM_JSON
from guichet_intake import handlers
from guichet_intake import status as dossier_status
from guichet_intake.documents import MAX_BODY_BYTES
from guichet_intake.domain import FileApplication, SupplyDocuments
from guichet_intake.requests import ApplicationForm, SupplementForm
from guichet_intake.settings import IntakeSettings

FILING_BODY_LIMIT = MAX_BODY_BYTES  # sized for the most documents a filing may carry

ApplicantDep = Annotated[Caller, Depends(require_authority(Authority.APPLICANT))]
router = APIRouter(tags=["applications"])


class ApplicationReceipt(BaseModel):
    application_id: uuid.UUID
    competent_authority: CompetentAuthority
    filed_at: datetime
    documents: int


class SupplyReceipt(BaseModel):
    request_id: str
    documents: int  # how many were stored


class TimelineEntry(BaseModel):
    step: str
    at: datetime
    by: str  # the authority that took the step, or "applicant"
    days: int  # spent in this step, up to the next one or today


class ApplicationStatus(BaseModel):
    application_id: uuid.UUID
    kind: str
    category: str
    competent_authority: str
    status: str
    open_request: str | None
    requested_documents: list[str]
    timeline: list[TimelineEntry]
    decision_due_on: date | None  # 90 days after admissibility, suspensions added
    days_left: int | None
    clock_running: bool
    overdue: bool


class EBoxMessage(BaseModel):
    message_id: str
    recipient: str
    dossier_id: str
    subject: str
    body: str
    language: str
    delivered_at: datetime | None
    read_at: datetime | None


DOCUMENT_REFUSED: dict[int | str, dict[str, Any]] = {
    422: {
        "description": "A field or a document was refused: which one and what to do "
        "(RFC 9457; a document is named by its place and kind)",
        "content": {PROBLEM_JSON: {}},
    }
}


@router.post(
    "/applications",
    status_code=status.HTTP_201_CREATED,
    responses=DOCUMENT_REFUSED,
    openapi_extra=body_limit(FILING_BODY_LIMIT),
)
async def file(form: ApplicationForm, rt: RuntimeDep, caller: ApplicantDep) -> ApplicationReceipt:
    """File an application; it is routed to the region competent for the place of work."""
    settings = rt.settings
    assert isinstance(settings, IntakeSettings)
    command = FileApplication(
        form=form,
        filer=caller.subject,
        today=date.today(),
        filed_at=datetime.now(UTC),
        professional_card_enabled=settings.professional_card_enabled,
    )
    filed = await handlers.file_application(rt, command)
    return ApplicationReceipt(
        application_id=filed.application_id,
        competent_authority=filed.competent_authority,
        filed_at=filed.filed_at,
        documents=len(filed.documents),
    )


@router.post(
    "/applications/{application_id}/supplementary-documents",
    status_code=status.HTTP_201_CREATED,
    responses=DOCUMENT_REFUSED,
    openapi_extra=body_limit(FILING_BODY_LIMIT),
)
async def supply(
    application_id: uuid.UUID, form: SupplementForm, rt: RuntimeDep, caller: ApplicantDep
) -> SupplyReceipt:
    """Supply the documents a controller asked for (Art. 20 §4)."""
    command = SupplyDocuments(
        application_id=application_id,
        request_id=form.request_id,
        uploads=tuple(form.documents),
        supplier=caller.subject,
        supplied_at=datetime.now(UTC),
    )
    supplied = await handlers.supply_documents(rt, command)
    return SupplyReceipt(request_id=supplied.request_id, documents=len(supplied.documents))


@router.get("/applications/{application_id}")
async def application(
    application_id: uuid.UUID, rt: RuntimeDep, caller: ApplicantDep
) -> ApplicationStatus:
    """Status, timeline (days per step) and the 90-day decision deadline of a dossier."""
    view = await handlers.status_view(rt, str(application_id), caller.subject)
    today = datetime.now(UTC).date()
    return ApplicationStatus.model_validate(dossier_status.present(view, today=today))


@router.get("/ebox")
async def ebox(rt: RuntimeDep, caller: ApplicantDep) -> list[EBoxMessage]:
    """The applicant's e-box: every notification addressed to them (Art. 20 §5)."""
    messages = await rt.ebox.messages_for(caller.subject)
    return [EBoxMessage.model_validate(vars(message)) for message in messages]
