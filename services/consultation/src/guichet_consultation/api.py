"""Consultation's HTTP API: need-to-know views of the dossiers (Art. 11, 21-26) and the
access log the data subject can read (Art. 29). Thin: each route parses, authorises with
its declared rule, runs one handler and answers a typed model; errors are the
``SPEC.problems`` mapping's (``bootstrap``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.responses import PlainTextResponse

from guichet_consultation import handlers
from guichet_consultation.deps import ConsultationDeps, ConsultationDepsDep
from guichet_consultation.domain import (
    ConsultDossier,
    ListMyDossiers,
    ReadDossierAccessLog,
    ReadMyAccessLog,
    SearchDossiers,
    VerifyAccessLog,
    caller_key,
)
from guichet_consultation.policy import CONSULTERS, POLICY
from guichet_consultation.register import register_markdown
from guichet_consultation.schemas import (
    AccessLogEntry,
    ChainVerdict,
    DossierSearch,
    DossierSummary,
    DossierView,
)
from guichet_contracts.vocabulary import Authority
from guichet_core.deps import RuntimeDep
from guichet_core.http.auth import Caller, public, require_authority
from guichet_core.service import Runtime

router = APIRouter(tags=["consultation"])
SupervisorDep = Annotated[Caller, Depends(require_authority(Authority.PLATFORM_OPS))]
# Who may ask at all: every authority of the agreement but the platform's operators, who
# read no dossier content (Art. 8). What each one sees is the policy's (Art. 11, 21-26),
# and a caller it shows nothing is still recorded in the person's access log (Art. 29).
ConsulterDep = Annotated[Caller, Depends(require_authority(CONSULTERS))]
ApplicantDep = Annotated[Caller, Depends(require_authority(Authority.APPLICANT))]

SEARCH_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "A NISS in the query string: send it in the body of the POST"},
    429: {"description": "Too many searches by this caller: retry after Retry-After seconds"},
}


@router.get("/dossiers/{dossier_id}", response_model=DossierView, response_model_exclude_unset=True)
async def dossier(
    dossier_id: UUID,
    rt: RuntimeDep,
    caller: ConsulterDep,
    purpose: Annotated[str | None, Query(description="Why you consult (logged)")] = None,
) -> DossierView:
    """What the caller may see of a dossier, for the stated purpose; the rest is withheld."""
    why = purpose or caller.purpose
    command = ConsultDossier(caller, str(dossier_id), why, datetime.now(UTC))
    result = await handlers.consult_dossier(rt, command)
    return DossierView.model_validate(
        {"dossier_id": str(dossier_id), "purpose": why, "data": result.data}
        | {"withheld": result.withheld}
    )


@router.post(
    "/dossiers/search",
    responses=SEARCH_RESPONSES,
    response_model=list[DossierSummary],
    response_model_exclude_unset=True,
)
async def search(
    body: DossierSearch, rt: RuntimeDep, caller: ConsulterDep, deps: ConsultationDepsDep
) -> list[DossierSummary]:
    """Find dossiers by NISS or enterprise number; each match is a logged consultation."""
    command = SearchDossiers(
        caller, body.niss, body.enterprise_number, body.purpose, datetime.now(UTC)
    )
    return await _search(rt, deps, command)


@router.get(
    "/dossiers",
    responses=SEARCH_RESPONSES,
    response_model=list[DossierSummary],
    response_model_exclude_unset=True,
)
async def search_by_enterprise(
    rt: RuntimeDep,
    caller: ConsulterDep,
    deps: ConsultationDepsDep,
    enterprise_number: Annotated[str | None, Query(description="KBO/BCE, 10 digits")] = None,
    purpose: str | None = None,
    niss: Annotated[str | None, Query(include_in_schema=False)] = None,
) -> list[DossierSummary]:
    """Find dossiers by enterprise number (by NISS: ``POST /dossiers/search``)."""
    if niss is not None:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            "a NISS is never sent in a URL (access logs and traces keep URLs): search with "
            'POST /dossiers/search and the body {"niss": "..."}',
        )
    command = SearchDossiers(caller, None, enterprise_number, purpose, datetime.now(UTC))
    return await _search(rt, deps, command)


async def _search(
    rt: Runtime, deps: ConsultationDeps, command: SearchDossiers
) -> list[DossierSummary]:
    # The search limit answers 429 with Retry-After (a header: the route's to set).
    admission = deps.searches.admit(caller_key(command.caller), command.now)
    if not admission.allowed:
        limit = deps.searches.limit
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"over {limit.searches} searches in {limit.window.seconds // 60} minutes by this "
            f"caller: search again in {admission.retry_after} s",
            headers={"Retry-After": str(admission.retry_after)},
        )
    found = await handlers.search_dossiers(rt, command)
    return [DossierSummary.model_validate(summary) for summary in found]


@router.get("/me/dossiers", response_model=list[DossierSummary], response_model_exclude_unset=True)
async def my_dossiers(rt: RuntimeDep, caller: ApplicantDep) -> list[DossierSummary]:
    """The applicant's own dossiers (as worker, employer or mandatary)."""
    found = await handlers.list_my_dossiers(rt, ListMyDossiers(caller, datetime.now(UTC)))
    return [DossierSummary.model_validate(summary) for summary in found]


@router.get("/me/access-log")
async def my_access_log(rt: RuntimeDep, caller: ApplicantDep) -> list[AccessLogEntry]:
    """Who consulted my dossiers, when, for what purpose and what they read (Art. 29)."""
    records = await handlers.read_my_access_log(rt, ReadMyAccessLog(caller))
    return [AccessLogEntry.model_validate(vars(record)) for record in records]


@router.get("/dossiers/{dossier_id}/access-log")
async def dossier_access_log(
    dossier_id: UUID, rt: RuntimeDep, caller: SupervisorDep
) -> list[AccessLogEntry]:
    """Every consultation of one dossier and every refused attempt on it, on any service,
    for the supervisor answering the data subject or the data protection authority
    (Art. 29; GDPR Art. 15 §1 c, Art. 58)."""
    records = await handlers.read_dossier_access_log(rt, ReadDossierAccessLog(str(dossier_id)))
    return [AccessLogEntry.model_validate(vars(record)) for record in records]


@router.get("/access-log/verify")
async def verify(rt: RuntimeDep, caller: SupervisorDep) -> ChainVerdict:
    """Check the hash chain of the access log (every entry linked to the previous)."""
    check = await handlers.verify_access_log(rt, VerifyAccessLog())
    return ChainVerdict(ok=check.ok, entries=check.entries, first_broken_seq=check.first_broken_seq)


@router.get("/policy/register", response_class=PlainTextResponse, dependencies=[Depends(public)])
async def register() -> str:
    """The register of access rights (Art. 16 §2), with the health and criminal-data lists."""
    return register_markdown(POLICY)
