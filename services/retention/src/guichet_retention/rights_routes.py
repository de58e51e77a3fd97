"""Data-subject rights over HTTP (Art. 28-29) and the GDPR information (Art. 13/14).

The person files a request about one of their dossiers; it is routed to the controller
concerned (the region for work and professional cards, the Immigration Office for
residence) with a dated acknowledgment issued at once, in the response and in the
e-box; the controller sees its requests by due date, overdue ones flagged, and answers.
An access request is answered with a machine-readable export of what the platform
holds about the person; a granted erasure erases the dossier everywhere.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import BaseModel, ConfigDict, Field

from guichet_contracts import REGISTRY, ApplicationFiled, SealedData
from guichet_contracts.dossier import SealedDossier
from guichet_contracts.vocabulary import Language
from guichet_core.auth import REGIONS, Authority, Caller, public, require_authority
from guichet_core.blind_index import blind_index_for
from guichet_core.deps import RuntimeDep
from guichet_core.notifications import Notification, notification_id_for, queue_notification
from guichet_core.service import Runtime
from guichet_retention import privacy, rights
from guichet_retention.appeals import DeletionHeld
from guichet_retention.bootstrap import clock_of, rules_of
from guichet_retention.handlers import purge, refuse_if_held
from guichet_retention.rights_store import RightsStore

router = APIRouter(tags=["data-subject rights"])
ApplicantDep = Annotated[Caller, Depends(require_authority(Authority.APPLICANT))]
ControllerDep = Annotated[Caller, Depends(require_authority(REGIONS, Authority.OE))]
# GDPR Art. 15, 20: an export goes to the controller and, once answered, to the person.
ExportDep = Annotated[
    Caller, Depends(require_authority(REGIONS, Authority.OE, Authority.APPLICANT))
]


class RightsRequestForm(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dossier_id: uuid.UUID
    kind: rights.RightKind
    concern: rights.Concern = Field(description="work, professional_card or residence")
    details: str = Field(min_length=1, max_length=20_000)
    language: Language = "en"


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: Literal["granted", "partially_granted", "refused"]
    answer: str = Field(min_length=1, max_length=20_000)


async def _filed(rt: Runtime, dossier_id: str) -> tuple[ApplicationFiled, SealedDossier | None]:
    records = await rt.store.read_stream(dossier_id)
    for record in records:
        if record.event_type.startswith("be.guichet.application.filed"):
            filed = REGISTRY.load(record.event_type, record.schema_version, dict(record.data))
            assert isinstance(filed, ApplicationFiled)
            if filed.dossier is None:  # filed before dossiers were sealed (v1)
                return filed, None
            dossier = await rt.vault.unseal_as(filed.dossier, SealedDossier, dossier_id=dossier_id)
            return filed, dossier
    await rt.vault.ensure_not_erased(dossier_id)  # 410, even before the filing reached us
    raise HTTPException(status.HTTP_404_NOT_FOUND, "no such dossier")


def _is_the_person(caller: Caller, dossier: SealedDossier | None) -> bool:
    if dossier is None:
        return False
    return caller.subject in {dossier.worker.niss, dossier.worker.email} - {None}


def _view(request: rights.RightsRequest, today: Any) -> dict[str, Any]:
    data = asdict(request)
    data["overdue"] = rights.is_overdue(request, today)
    return data


# The dossier is named in the body, not the path: its own 404 and 410 (core.problems
# derives the rest: 401, 403, 409, 413, 422).
FILING_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "no such dossier"},
    410: {"description": "the dossier was erased (Art. 27, GDPR Art. 17)"},
}


@router.post("/rights-requests", status_code=status.HTTP_201_CREATED, responses=FILING_ERRORS)
async def file_request(
    form: RightsRequestForm, rt: RuntimeDep, caller: ApplicantDep
) -> dict[str, Any]:
    """File a request (access, rectification, restriction, objection, erasure) about
    your dossier; a dated acknowledgment of receipt comes back at once (Art. 28)."""
    dossier_id = str(form.dossier_id)
    filed, dossier = await _filed(rt, dossier_id)  # DossierErased: 410 (core.problems)
    if not _is_the_person(caller, dossier):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "only the person the dossier is about exercises these rights (Art. 29)",
        )
    try:
        request = rights.receive(
            request_id=uuid.uuid4().hex,
            dossier_id=dossier_id,
            subject_index=blind_index_for(rt.settings).of(caller.subject),
            kind=form.kind,
            concern=form.concern,
            competent_region=filed.competent_authority.value,
            details=form.details,
            received_at=datetime.now(UTC),
        )
    except rights.RightsError as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from error
    receipt = rights.acknowledgment(request, form.language)
    async with rt.unit_of_work() as uow:  # the request and its receipt, together
        await RightsStore.insert(uow.connection, request)
        await queue_notification(
            uow,
            Notification(
                notification_id=notification_id_for(
                    request.request_id, "rights-receipt", caller.subject
                ),
                dossier_id=dossier_id,
                recipient=caller.subject,
                email=dossier.worker.email if dossier else None,
                subject=receipt.text.splitlines()[0][:200],
                body=receipt.text,
                language=form.language,
            ),
            vault=rt.vault,
        )
    return {"request": _view(request, datetime.now(UTC).date()), "acknowledgment": asdict(receipt)}


@router.get("/rights-requests/mine")
async def mine(rt: RuntimeDep, caller: ApplicantDep) -> list[dict[str, Any]]:
    """Your requests, with their due dates and answers."""
    index = blind_index_for(rt.settings).of(caller.subject)
    today = datetime.now(UTC).date()
    return [_view(r, today) for r in await RightsStore(rt.engine).mine(index)]


@router.get("/rights-requests/queue")
async def queue(rt: RuntimeDep, caller: ControllerDep) -> list[dict[str, Any]]:
    """The requests your authority must answer, the most urgent first, overdue flagged."""
    today = clock_of(rt).today()
    rows = await RightsStore(rt.engine).queue(caller.authority.value, today=today)
    return [{**asdict(request), "overdue": overdue} for request, overdue in rows]


@router.post("/rights-requests/{request_id}/answer")
async def answer_request(
    request_id: str, body: Answer, rt: RuntimeDep, caller: ControllerDep
) -> dict[str, Any]:
    """Answer a request; a granted erasure erases the dossier everywhere at once."""
    store = RightsStore(rt.engine)
    request = await store.get(request_id)
    if request is None or request.controller != caller.authority.value:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such request for your authority")
    try:
        answered = rights.answer(request, body.outcome, body.answer, datetime.now(UTC))
        if answered.requires_purge:  # refused before the answer is stored
            await refuse_if_held(rt, request.dossier_id, rules_of(rt))
        await store.save_answer(answered)
    except (rights.RightsError, DeletionHeld) as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error
    if answered.requires_purge:
        try:  # the purge checks again, under the dossier's next version
            await purge(
                rt,
                request.dossier_id,
                rules_of(rt),
                erasure=True,
                today=clock_of(rt).today(),
            )
        except DeletionHeld as error:  # an appeal recorded since the check above
            raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error
    return _view(answered, clock_of(rt).today())


@router.get("/rights-requests/{request_id}/export")
async def export(request_id: str, rt: RuntimeDep, caller: ExportDep) -> dict[str, Any]:
    """The answer to an access request (GDPR Art. 15, 20): every event the platform
    keeps about the dossier, with its sealed personal data opened, as JSON."""
    request = await RightsStore(rt.engine).get(request_id)
    if request is None or request.kind != rights.RightKind.ACCESS:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such access request")
    is_controller = caller.authority.value == request.controller
    own = blind_index_for(rt.settings).of(caller.subject) == request.subject_index
    is_person = caller.authority is Authority.APPLICANT and request.outcome is not None and own
    if not (is_controller or is_person):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "the export goes to the controller and, once the request is answered, to the person",
        )
    events = []
    for record in await rt.store.read_stream(request.dossier_id):
        data = dict(record.data)
        for key, value in list(data.items()):
            if isinstance(value, dict) and value.get("alg") == "AES-256-GCM":
                data[key] = await rt.vault.unseal(
                    SealedData.model_validate(value), dossier_id=request.dossier_id
                )
        events.append({"type": record.event_type, "occurred_at": record.occurred_at, "data": data})
    return {
        "dossier_id": request.dossier_id,
        "exported_at": datetime.now(UTC),
        "format": "application/json; guichet export v1",
        "events": events,
    }


@router.get("/privacy-notice", dependencies=[Depends(public)])
async def privacy_notice(
    lang: Annotated[Language, Query(description="fr, nl, de or en")] = "en",
) -> dict[str, Any]:
    """The information owed to the people whose data the platform processes (GDPR Art.
    13-14), in the national languages and English."""
    return privacy.notice(lang)
