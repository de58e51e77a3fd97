"""The data subject's requests (Art. 28-29, GDPR Art. 15-21), one handler per command.

The person files a request about one of their dossiers; it is routed to the controller
concerned with a dated acknowledgment issued at once, in the answer and in the e-box
(one unit of work: the request and its receipt together). The controller answers; a
granted erasure erases the dossier everywhere. An access request is answered with a
machine-readable export of what the platform holds about the person. No HTTP here.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from guichet_contracts import REGISTRY, ApplicationFiled, SealedData
from guichet_contracts.dossier import SealedDossier
from guichet_contracts.vocabulary import Authority
from guichet_core.http.auth import Caller
from guichet_core.service import Runtime
from guichet_core.stores.blind_index import blind_index_for
from guichet_core.stores.notifications import Notification, notification_id_for, queue_notification
from guichet_retention import rights
from guichet_retention.acknowledgment import Acknowledgment, acknowledgment
from guichet_retention.deps import clock_of, rules_of
from guichet_retention.purge import purge, refuse_if_held
from guichet_retention.rights_store import RightsStore


class NoSuchDossier(LookupError):
    """Retention holds no filing of that dossier (a 404)."""


class NotThePerson(PermissionError):
    """Only the person the dossier is about exercises these rights (Art. 29; a 403)."""


class NoSuchRequest(LookupError):
    """No such request for this caller (a 404)."""


class ExportRefused(PermissionError):
    """The export goes to the controller and, once answered, to the person (a 403)."""


class AnswerRefused(ValueError):
    """The request cannot be answered as asked: already answered, or held (a 409)."""


@dataclass(frozen=True)
class FileRequest:
    caller: Caller
    dossier_id: str
    kind: rights.RightKind
    concern: rights.Concern
    details: str
    language: rights.Language
    now: datetime


@dataclass(frozen=True)
class AnswerRequest:
    caller: Caller
    request_id: str
    outcome: str
    answer: str
    now: datetime


@dataclass(frozen=True)
class ExportDossier:
    caller: Caller
    request_id: str


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
    raise NoSuchDossier("no such dossier")


def _is_the_person(caller: Caller, dossier: SealedDossier | None) -> bool:
    if dossier is None:
        return False
    return caller.subject in {dossier.worker.niss, dossier.worker.email} - {None}


async def file_request(
    rt: Runtime, command: FileRequest
) -> tuple[rights.RightsRequest, Acknowledgment]:
    """The request recorded with its acknowledgment of receipt (Art. 28, 29 §4)."""
    filed, dossier = await _filed(rt, command.dossier_id)  # DossierErased: 410
    caller = command.caller
    if not _is_the_person(caller, dossier):
        raise NotThePerson("only the person the dossier is about exercises these rights (Art. 29)")
    request = rights.receive(  # RightsError: 422
        request_id=uuid.uuid4().hex,
        dossier_id=command.dossier_id,
        subject_index=blind_index_for(rt.settings).of(caller.subject),
        kind=command.kind,
        concern=command.concern,
        competent_region=filed.competent_authority.value,
        details=command.details,
        received_at=command.now,
    )
    receipt = acknowledgment(request, command.language)
    async with rt.unit_of_work() as uow:  # the request and its receipt, together
        await RightsStore.insert(uow.connection, request)
        await queue_notification(
            uow,
            Notification(
                notification_id=notification_id_for(
                    request.request_id, "rights-receipt", caller.subject
                ),
                dossier_id=command.dossier_id,
                recipient=caller.subject,
                email=dossier.worker.email if dossier else None,
                subject=receipt.text.splitlines()[0][:200],
                body=receipt.text,
                language=command.language,
            ),
            vault=rt.vault,
        )
    return request, receipt


async def answer_request(rt: Runtime, command: AnswerRequest) -> rights.RightsRequest:
    """The answer recorded once; a granted erasure erases the dossier at once."""
    store = RightsStore(rt.engine)
    request = await store.get(command.request_id)
    if request is None or request.controller != command.caller.authority.value:
        raise NoSuchRequest("no such request for your authority")
    try:
        answered = rights.answer(request, command.outcome, command.answer, command.now)
        if answered.requires_purge:  # refused before the answer is stored
            await refuse_if_held(rt, request.dossier_id, rules_of(rt))
        await store.save_answer(answered)
    except rights.RightsError as error:
        raise AnswerRefused(str(error)) from error
    if answered.requires_purge:  # the purge checks again, under the dossier's next version
        today = clock_of(rt).today()
        await purge(rt, request.dossier_id, rules_of(rt), erasure=True, today=today)
    return answered


async def export_dossier(rt: Runtime, command: ExportDossier) -> tuple[str, list[dict[str, Any]]]:
    """Every event kept about the dossier, its sealed personal data opened (GDPR Art. 15,
    20): for the controller, and for the person once the request is answered."""
    request = await RightsStore(rt.engine).get(command.request_id)
    if request is None or request.kind != rights.RightKind.ACCESS:
        raise NoSuchRequest("no such access request")
    caller = command.caller
    is_controller = caller.authority.value == request.controller
    own = blind_index_for(rt.settings).of(caller.subject) == request.subject_index
    is_person = caller.authority is Authority.APPLICANT and request.outcome is not None and own
    if not (is_controller or is_person):
        raise ExportRefused(
            "the export goes to the controller and, once the request is answered, to the person"
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
    return request.dossier_id, events


async def my_requests(rt: Runtime, caller: Caller) -> list[rights.RightsRequest]:
    """The requester's own requests, oldest first (known by blind index only)."""
    index = blind_index_for(rt.settings).of(caller.subject)
    return await RightsStore(rt.engine).mine(index)


async def queue_of(
    rt: Runtime, caller: Caller, today: date
) -> list[tuple[rights.RightsRequest, bool]]:
    """The open requests of the caller's authority, the soonest due first, overdue flagged."""
    return await RightsStore(rt.engine).queue(caller.authority.value, today=today)


COMMAND_HANDLERS: dict[type, Callable[[Runtime, Any], Awaitable[Any]]] = {
    FileRequest: file_request,
    AnswerRequest: answer_request,
    ExportDossier: export_dossier,
}
