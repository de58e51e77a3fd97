"""Intake's HTTP API and its wiring: the applicant's single window (Art. 19-20)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel

from guichet_contracts import (
    ApplicationDeclaredAdmissible,
    AuthorisationWithdrawn,
    DomainEvent,
    NegativeDecisionTaken,
    ProfessionalCardGranted,
    ResidenceAuthorised,
    SinglePermitGranted,
    StayEnded,
    SupplementaryDocumentsRequested,
    WorkAuthorised,
)
from guichet_contracts.topics import INTAKE_TOPIC, REGIONAL_DECISION_TOPIC, RESIDENCE_DECISION_TOPIC
from guichet_contracts.vocabulary import CompetentAuthority
from guichet_core.auth import Authority, Caller, require_authority
from guichet_core.deps import RuntimeDep
from guichet_core.http_limits import body_limit
from guichet_core.problems import PROBLEM_JSON, problem_response
from guichet_core.service import Runtime, ServiceSpec, SubscriptionSpec, create_app
from guichet_intake import handlers
from guichet_intake import status as dossier_status
from guichet_intake.documents import MAX_BODY_BYTES, CheckedDocument, DocumentRejected
from guichet_intake.domain import FilingRejected, validate
from guichet_intake.requests import ApplicationForm, DocumentUpload, SupplementForm
from guichet_intake.settings import IntakeSettings
from guichet_intake.tables import applicant_access, documents
from guichet_intake.tables import dossier_status as dossier_status_table

TOPIC = INTAKE_TOPIC
FILING_BODY_LIMIT = MAX_BODY_BYTES  # sized for the most documents a filing may carry
MIGRATIONS = Path(__file__).parent / "migrations" / "versions"


class ApplicationReceipt(BaseModel):
    application_id: uuid.UUID
    competent_authority: CompetentAuthority
    filed_at: datetime
    documents: int


ApplicantDep = Annotated[Caller, Depends(require_authority(Authority.APPLICANT))]
router = APIRouter(tags=["applications"])


def _unprocessable(error: FilingRejected) -> HTTPException:
    return HTTPException(
        status.HTTP_422_UNPROCESSABLE_CONTENT,
        detail=[{"loc": ["body", *error.field.split(".")], "msg": error.reason}],
    )


DOCUMENT_REFUSED: dict[int | str, dict[str, Any]] = {
    422: {
        "description": "A field or a document was refused: which one and what to do "
        "(RFC 9457; a document is named by its place and kind)",
        "content": {PROBLEM_JSON: {}},
    }
}


def _document_refused(error: DocumentRejected) -> Response:
    """RFC 9457 problem details: which document (place and kind) and what to do, never
    its file name or content (GDPR Art. 5 §1 f)."""
    place = {"loc": ["body", "documents", error.index], "msg": error.reason, "type": "document"}
    return problem_response(status.HTTP_422_UNPROCESSABLE_CONTENT, error.detail, errors=[place])


async def _checked(uploads: list[DocumentUpload]) -> list[CheckedDocument]:
    """Parsing a document is CPU work: off the event loop, so other requests go on."""
    return await run_in_threadpool(handlers.check_documents, uploads)


async def _own(rt: Runtime, application_id: uuid.UUID, caller: Caller) -> None:
    # 410 once erased, before and after the purge has deleted intake's rows (Art. 27).
    await rt.vault.ensure_not_erased(str(application_id))
    if not await handlers.may_follow(rt, str(application_id), caller.subject):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no application of yours with this id")


@router.post(
    "/applications",
    status_code=status.HTTP_201_CREATED,
    response_model=ApplicationReceipt,
    responses=DOCUMENT_REFUSED,
    openapi_extra=body_limit(FILING_BODY_LIMIT),
)
async def file(
    form: ApplicationForm, rt: RuntimeDep, caller: ApplicantDep
) -> ApplicationReceipt | Response:
    """File an application; it is routed to the region competent for the place of work."""
    settings = rt.settings
    assert isinstance(settings, IntakeSettings)
    try:
        filing = validate(
            form, today=date.today(), professional_card_enabled=settings.professional_card_enabled
        )
    except FilingRejected as error:
        raise _unprocessable(error) from error
    try:
        checked = await _checked(form.documents)
    except DocumentRejected as error:
        return _document_refused(error)
    filed = await handlers.file(rt, filing, checked, filer=caller.subject)
    return ApplicationReceipt(
        application_id=filed.application_id,
        competent_authority=filed.competent_authority,
        filed_at=filed.filed_at,
        documents=len(filed.documents),
    )


@router.post(
    "/applications/{application_id}/supplementary-documents",
    status_code=status.HTTP_201_CREATED,
    response_model=dict[str, Any],
    responses=DOCUMENT_REFUSED,
    openapi_extra=body_limit(FILING_BODY_LIMIT),
)
async def supply(
    application_id: uuid.UUID, form: SupplementForm, rt: RuntimeDep, caller: ApplicantDep
) -> dict[str, Any] | Response:
    """Supply the documents a controller asked for (Art. 20 §4)."""
    await _own(rt, application_id, caller)
    try:
        checked = await _checked(form.documents)
    except DocumentRejected as error:
        return _document_refused(error)
    try:
        supplied = await handlers.supply(rt, str(application_id), form.request_id, checked)
    except FilingRejected as error:
        raise _unprocessable(error) from error
    return {"request_id": supplied.request_id, "documents": len(supplied.documents)}


@router.get("/applications/{application_id}")
async def application(
    application_id: uuid.UUID, rt: RuntimeDep, caller: ApplicantDep
) -> dict[str, Any]:
    """Status, timeline (days per step) and the 90-day decision deadline of a dossier."""
    await _own(rt, application_id, caller)
    view = await handlers.view_of(rt, str(application_id))
    if view is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no application of yours with this id")
    return dossier_status.present(view, today=datetime.now(UTC).date())


@router.get("/ebox")
async def ebox(rt: RuntimeDep, caller: ApplicantDep) -> list[dict[str, Any]]:
    """The applicant's e-box: every notification addressed to them (Art. 20 §5)."""
    messages = await rt.ebox.messages_for(caller.subject)
    return [vars(message) for message in messages]


FOLLOWED: list[type[DomainEvent]] = [
    ApplicationDeclaredAdmissible,
    SupplementaryDocumentsRequested,
    WorkAuthorised,
    ProfessionalCardGranted,
    NegativeDecisionTaken,
    AuthorisationWithdrawn,
    ResidenceAuthorised,
    SinglePermitGranted,
    StayEnded,
]

SPEC = ServiceSpec(
    name="intake",
    title="Guichet intake",
    description="Online filing of single-permit, work-authorisation and professional-card "
    "applications, and the applicant's view of them (cooperation agreement of 31 January "
    "2025, Art. 2 §1 1°, Art. 19-20).",
    topic=TOPIC,
    migrations=MIGRATIONS,
    routers=[router],
    dossier_tables=[
        (documents, "dossier_id"),
        (applicant_access, "dossier_id"),
        (dossier_status_table, "dossier_id"),
    ],
    erases_ebox=True,
    subscriptions=[
        SubscriptionSpec(
            group="intake.applicant-status",
            topics=[REGIONAL_DECISION_TOPIC, RESIDENCE_DECISION_TOPIC],
            handlers={event.event_type: handlers.follow for event in FOLLOWED},
        )
    ],
)


def build(settings: IntakeSettings | None = None) -> FastAPI:
    return create_app(SPEC, settings or IntakeSettings())
