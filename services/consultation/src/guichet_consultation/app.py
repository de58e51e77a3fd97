"""Consultation's HTTP API and its wiring: need-to-know views of the dossiers
(Art. 11, 21-26) and the access log the data subject can read (Art. 29)."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, status
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from guichet_consultation import refusals
from guichet_consultation.access_log import AccessEntry, AccessLog, Outcome
from guichet_consultation.bootstrap import bootstrap, deps_of
from guichet_consultation.feed import TOPICS, bind, bind_purge, blind_index_for
from guichet_consultation.generations import Generations, GenerationTables, load_view
from guichet_consultation.policy import POLICY, register_markdown
from guichet_consultation.search import SearchGuard
from guichet_consultation.settings import ConsultationSettings
from guichet_consultation.views import Cut, cut, requester_of
from guichet_contracts import ACCESS_REFUSALS_TOPIC
from guichet_contracts.topics import CONSULTATION_TOPIC
from guichet_core.auth import Authority, Caller, public, require_authority
from guichet_core.deps import RuntimeDep
from guichet_core.service import Runtime, ServiceSpec, SubscriptionSpec, create_app
from guichet_core.store.database import single_statements
from guichet_core.vault import DossierErased

TOPIC = CONSULTATION_TOPIC
router = APIRouter(tags=["consultation"])
SupervisorDep = Annotated[Caller, Depends(require_authority(Authority.PLATFORM_OPS))]
# Who may ask at all: every authority of the agreement but the platform's operators, who
# read no dossier content (Art. 8). What each one sees is the policy's (Art. 11, 21-26),
# and a caller it shows nothing is still recorded in the person's access log (Art. 29).
ConsulterDep = Annotated[
    Caller, Depends(require_authority(a for a in Authority if a is not Authority.PLATFORM_OPS))
]
ApplicantDep = Annotated[Caller, Depends(require_authority(Authority.APPLICANT))]


async def _roles_in(
    rt: Runtime, tables: GenerationTables, dossier_id: str, caller: Caller
) -> set[str]:
    """The caller's roles in the dossier (worker, employer, mandatary), by blind index."""
    if caller.authority is not Authority.APPLICANT:
        return set()
    index = blind_index_for(rt).of(caller.subject)
    query = select(tables.subjects.c.role).where(
        tables.subjects.c.dossier_id == dossier_id, tables.subjects.c.subject_index == index
    )
    async with rt.engine.connect() as connection:
        return {row.role for row in await connection.execute(query)}


def _log(rt: Runtime) -> AccessLog:
    return deps_of(rt).access_log


def _searches(rt: Runtime) -> SearchGuard:
    return deps_of(rt).searches


def _caller_key(caller: Caller) -> str:
    return f"{caller.authority.value}:{caller.agent_id}"


async def _record(
    rt: Runtime,
    caller: Caller,
    purpose: str | None,
    dossier_id: str,
    result: Cut | None,
    *,
    searched: bool = False,
) -> None:
    read = result.read if result else []
    withheld = [w["category"] for w in result.withheld] if result else []
    outcome: Outcome = "denied" if not read else ("partial" if withheld else "allowed")
    if searched and outcome == "denied":
        # One denied entry per caller, dossier and window: a repeated search cannot
        # flood the person's access log (Art. 29), every first one is still recorded.
        now = datetime.now(UTC)
        if not _searches(rt).records_denial(_caller_key(caller), dossier_id, now):
            return
    await _log(rt).append(
        AccessEntry(
            authority=caller.authority.value,
            agent_id=caller.agent_id,
            roles=sorted(caller.roles),
            purpose=purpose,
            dossier_id=dossier_id,
            categories=read,
            withheld=withheld,
            outcome=outcome,
        )
    )


async def _consult(
    rt: Runtime, caller: Caller, dossier_id: str, purpose: str | None, *, searched: bool = False
) -> Cut:
    # Erased (Art. 27): 410 whether this service has deleted its rows yet or not, and
    # whatever the key cache still holds (the key store is asked, not the cache).
    await rt.vault.ensure_not_erased(dossier_id)
    generations = Generations(rt.engine)
    async with single_statements(rt.engine).connect() as connection:
        tables = await generations.active(connection)
        view = await load_view(connection, tables, dossier_id)
    if view is None or not view.get("filed"):
        await _record(rt, caller, purpose, dossier_id, None)
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such dossier")
    roles = await _roles_in(rt, tables, dossier_id, caller)
    result = await cut(view, requester_of(caller, purpose, roles), rt.vault)
    await _record(rt, caller, purpose, dossier_id, result, searched=searched)
    return result


@router.get("/dossiers/{dossier_id}")
async def dossier(
    dossier_id: UUID,
    rt: RuntimeDep,
    caller: ConsulterDep,
    purpose: Annotated[str | None, Query(description="Why you consult (logged)")] = None,
) -> dict[str, Any]:
    """What the caller may see of a dossier, for the stated purpose; the rest is withheld."""
    why = purpose or caller.purpose
    result = await _consult(rt, caller, str(dossier_id), why)
    if not result.read:
        reasons = "; ".join(w["reason"] for w in result.withheld[:3])
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, f"nothing of this dossier is yours to read: {reasons}"
        )
    return {
        "dossier_id": str(dossier_id),
        "purpose": why,
        "data": result.data,
        "withheld": result.withheld,
    }


class DossierSearch(BaseModel):
    """A search: the NISS travels in this body, never in a URL (logs and traces keep URLs)."""

    model_config = ConfigDict(extra="forbid")
    niss: str | None = Field(default=None, max_length=20, description="The worker's NISS")
    enterprise_number: str | None = Field(default=None, max_length=20, description="KBO/BCE")
    purpose: str | None = Field(default=None, max_length=200, description="Why (logged)")


SEARCH_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "A NISS in the query string: send it in the body of the POST"},
    429: {"description": "Too many searches by this caller: retry after Retry-After seconds"},
}


@router.post("/dossiers/search", responses=SEARCH_RESPONSES)
async def search(body: DossierSearch, rt: RuntimeDep, caller: ConsulterDep) -> list[dict[str, Any]]:
    """Find dossiers by NISS or enterprise number; each match is a logged consultation."""
    return await _search(rt, caller, body)


@router.get("/dossiers", responses=SEARCH_RESPONSES)
async def search_by_enterprise(
    rt: RuntimeDep,
    caller: ConsulterDep,
    enterprise_number: Annotated[str | None, Query(description="KBO/BCE, 10 digits")] = None,
    purpose: str | None = None,
    niss: Annotated[str | None, Query(include_in_schema=False)] = None,
) -> list[dict[str, Any]]:
    """Find dossiers by enterprise number (by NISS: ``POST /dossiers/search``)."""
    if niss is not None:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            "a NISS is never sent in a URL (access logs and traces keep URLs): search with "
            'POST /dossiers/search and the body {"niss": "..."}',
        )
    wanted = DossierSearch(enterprise_number=enterprise_number, purpose=purpose)
    return await _search(rt, caller, wanted)


async def _search(rt: Runtime, caller: Caller, wanted: DossierSearch) -> list[dict[str, Any]]:
    if not wanted.niss and not wanted.enterprise_number:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "give niss or enterprise_number")
    admission = _searches(rt).admit(_caller_key(caller), datetime.now(UTC))
    if not admission.allowed:
        limit = _searches(rt).limit
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"over {limit.searches} searches in {limit.window.seconds // 60} minutes by this "
            f"caller: search again in {admission.retry_after} s",
            headers={"Retry-After": str(admission.retry_after)},
        )
    generations = Generations(rt.engine)
    async with rt.engine.connect() as connection:
        tables = await generations.active(connection)
        query = select(tables.views.c.dossier_id)
        if wanted.niss:
            query = query.where(tables.views.c.niss_index == blind_index_for(rt).of(wanted.niss))
        if wanted.enterprise_number:
            digits = "".join(c for c in wanted.enterprise_number if c.isdigit()).zfill(10)
            query = query.where(tables.views.c.enterprise_number == digits)
        ids = [row.dossier_id for row in await connection.execute(query.limit(200))]
    found = []
    purpose = wanted.purpose or caller.purpose
    for result in await _consult_each(rt, caller, ids, purpose, searched=True):
        if "summary" in result.data:
            found.append(result.data["summary"])
    return found


async def _consult_each(
    rt: Runtime, caller: Caller, ids: list[str], purpose: str | None, *, searched: bool = False
) -> list[Cut]:
    """Each dossier of a list, but those erased meanwhile (a purge under way)."""
    results = []
    for dossier_id in ids:
        with contextlib.suppress(DossierErased):
            results.append(await _consult(rt, caller, dossier_id, purpose, searched=searched))
    return results


@router.get("/me/dossiers")
async def my_dossiers(rt: RuntimeDep, caller: ApplicantDep) -> list[dict[str, Any]]:
    """The applicant's own dossiers (as worker, employer or mandatary)."""
    generations = Generations(rt.engine)
    index = blind_index_for(rt).of(caller.subject)
    async with rt.engine.connect() as connection:
        tables = await generations.active(connection)
        query = select(tables.subjects.c.dossier_id).where(tables.subjects.c.subject_index == index)
        ids = sorted({row.dossier_id for row in await connection.execute(query)})
    return [
        result.data.get("summary", {})
        for result in await _consult_each(rt, caller, ids, "own_dossier")
    ]


@router.get("/me/access-log")
async def my_access_log(rt: RuntimeDep, caller: ApplicantDep) -> list[dict[str, Any]]:
    """Who consulted my dossiers, when, for what purpose and what they read (Art. 29)."""
    generations = Generations(rt.engine)
    index = blind_index_for(rt).of(caller.subject)
    async with rt.engine.connect() as connection:
        tables = await generations.active(connection)
        query = select(tables.subjects.c.dossier_id).where(tables.subjects.c.subject_index == index)
        ids = sorted({row.dossier_id for row in await connection.execute(query)})
    records = await _log(rt).for_dossiers(ids)
    return [
        vars(record) if not hasattr(record, "model_dump") else record.model_dump()
        for record in records
    ]


@router.get("/dossiers/{dossier_id}/access-log")
async def dossier_access_log(
    dossier_id: UUID, rt: RuntimeDep, caller: SupervisorDep
) -> list[dict[str, Any]]:
    """Every consultation of one dossier and every refused attempt on it, on any service,
    for the supervisor answering the data subject or the data protection authority
    (Art. 29; GDPR Art. 15 §1 c, Art. 58)."""
    return [vars(record) for record in await _log(rt).for_dossiers([str(dossier_id)])]


@router.get("/access-log/verify")
async def verify(rt: RuntimeDep, caller: SupervisorDep) -> dict[str, Any]:
    """Check the hash chain of the access log (every entry linked to the previous)."""
    check = await _log(rt).verify()
    return {"ok": check.ok, "entries": check.entries, "first_broken_seq": check.first_broken_seq}


@router.get("/policy/register", response_class=PlainTextResponse, dependencies=[Depends(public)])
async def register() -> str:
    """The register of access rights (Art. 16 §2), with the health and criminal-data lists."""
    return register_markdown(POLICY)


SPEC = ServiceSpec(
    name="consultation",
    title="Guichet consultation",
    description="Need-to-know views of the dossiers for each authority, and the access log "
    "(cooperation agreement of 31 January 2025, Art. 11, 21-26, 29).",
    topic=TOPIC,
    migrations=Path(__file__).parent / "migrations" / "versions",
    routers=[router],
    subscriptions=[
        SubscriptionSpec(group="consultation.projection", topics=TOPICS, bind=bind),
        SubscriptionSpec(group=refusals.GROUP, topics=[ACCESS_REFUSALS_TOPIC], bind=refusals.bind),
    ],
    bootstrap=bootstrap,
    purge_bind=bind_purge,
)


def build(settings: ConsultationSettings | None = None) -> FastAPI:
    return create_app(SPEC, settings or ConsultationSettings())
