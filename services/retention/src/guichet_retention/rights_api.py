"""Data-subject rights over HTTP (Art. 28-29) and the GDPR information (Art. 13/14).
Thin routes over ``rights_handlers``; a refusal is the ``SPEC.problems`` mapping's."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, status

from guichet_contracts.vocabulary import Authority, Language
from guichet_core.deps import RuntimeDep
from guichet_core.http.auth import REGIONS, Caller, public, require_authority
from guichet_retention import privacy, rights, rights_handlers
from guichet_retention.deps import RetentionDepsDep
from guichet_retention.schemas import (
    AcknowledgmentView,
    Answer,
    Export,
    FiledRequest,
    PrivacyNotice,
    RightsRequestForm,
    RightsRequestView,
)

router = APIRouter(tags=["data-subject rights"])
ApplicantDep = Annotated[Caller, Depends(require_authority(Authority.APPLICANT))]
ControllerDep = Annotated[Caller, Depends(require_authority(REGIONS, Authority.OE))]
# GDPR Art. 15, 20: an export goes to the controller and, once answered, to the person.
ExportDep = Annotated[
    Caller, Depends(require_authority(REGIONS, Authority.OE, Authority.APPLICANT))
]

# The dossier is named in the body, not the path: its own 404 and 410 (core.problems
# derives the rest: 401, 403, 409, 413, 422).
FILING_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "no such dossier"},
    410: {"description": "the dossier was erased (Art. 27, GDPR Art. 17)"},
}


def _view(request: rights.RightsRequest, today: date) -> RightsRequestView:
    return RightsRequestView(**asdict(request), overdue=rights.is_overdue(request, today))


@router.post("/rights-requests", status_code=status.HTTP_201_CREATED, responses=FILING_ERRORS)
async def file_request(
    form: RightsRequestForm, rt: RuntimeDep, caller: ApplicantDep
) -> FiledRequest:
    """File a request (access, rectification, restriction, objection, erasure) about
    your dossier; a dated acknowledgment of receipt comes back at once (Art. 28)."""
    command = rights_handlers.FileRequest(
        caller,
        str(form.dossier_id),
        form.kind,
        form.concern,
        form.details,
        form.language,
        datetime.now(UTC),
    )
    request, receipt = await rights_handlers.file_request(rt, command)
    return FiledRequest(
        request=_view(request, datetime.now(UTC).date()),
        acknowledgment=AcknowledgmentView(**asdict(receipt)),
    )


@router.get("/rights-requests/mine")
async def mine(rt: RuntimeDep, caller: ApplicantDep) -> list[RightsRequestView]:
    """Your requests, with their due dates and answers."""
    today = datetime.now(UTC).date()
    return [_view(r, today) for r in await rights_handlers.my_requests(rt, caller)]


@router.get("/rights-requests/queue")
async def queue(
    rt: RuntimeDep, caller: ControllerDep, deps: RetentionDepsDep
) -> list[RightsRequestView]:
    """The requests your authority must answer, the most urgent first, overdue flagged."""
    rows = await rights_handlers.queue_of(rt, caller, deps.clock.today())
    return [RightsRequestView(**asdict(request), overdue=overdue) for request, overdue in rows]


@router.post("/rights-requests/{request_id}/answer")
async def answer_request(
    request_id: str, body: Answer, rt: RuntimeDep, caller: ControllerDep, deps: RetentionDepsDep
) -> RightsRequestView:
    """Answer a request; a granted erasure erases the dossier everywhere at once."""
    command = rights_handlers.AnswerRequest(
        caller, request_id, body.outcome, body.answer, datetime.now(UTC)
    )
    answered = await rights_handlers.answer_request(rt, command)
    return _view(answered, deps.clock.today())


@router.get("/rights-requests/{request_id}/export")
async def export(request_id: str, rt: RuntimeDep, caller: ExportDep) -> Export:
    """The answer to an access request (GDPR Art. 15, 20): every event the platform
    keeps about the dossier, with its sealed personal data opened, as JSON."""
    command = rights_handlers.ExportDossier(caller, request_id)
    dossier_id, events = await rights_handlers.export_dossier(rt, command)
    return Export.model_validate(
        {
            "dossier_id": dossier_id,
            "exported_at": datetime.now(UTC),
            "format": "application/json; guichet export v1",
            "events": events,
        }
    )


@router.get("/privacy-notice", dependencies=[Depends(public)])
async def privacy_notice(
    lang: Annotated[Language, Query(description="fr, nl, de or en")] = "en",
) -> PrivacyNotice:
    """The information owed to the people whose data the platform processes (GDPR Art.
    13-14), in the national languages and English."""
    return PrivacyNotice.model_validate(privacy.notice(lang))
