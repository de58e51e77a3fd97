"""Retention's HTTP API: the deletion schedule, appeals that hold it, purge runs (Art. 27).
Thin: each route parses, authorises with its declared rule, runs one handler and answers
a typed model; a refusal is the ``SPEC.problems`` mapping's (``bootstrap``)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, status

from guichet_contracts.vocabulary import Authority
from guichet_core.deps import RuntimeDep
from guichet_core.http.auth import REGIONS, Caller, require_authority
from guichet_core.service import Runtime
from guichet_retention import handlers
from guichet_retention.deps import RetentionDepsDep
from guichet_retention.domain import EndAppeal, LodgeAppeal
from guichet_retention.schemas import Appeal, AppealEnd, Forecast, PurgeRun, Schedule

router = APIRouter(tags=["retention"])
# Whether the caller decided the step appealed against, or lodged the appeal, is the
# handler's check (domain.py); the route admits deciders and court registries.
AppealDep = Annotated[
    Caller, Depends(require_authority(REGIONS, Authority.OE, Authority.COURT_REGISTRY))
]
OverseerDep = Annotated[
    Caller, Depends(require_authority(REGIONS, Authority.OE, Authority.PLATFORM_OPS))
]
OpsDep = Annotated[Caller, Depends(require_authority(Authority.PLATFORM_OPS))]

# What the appeal routes answer when they refuse, for the OpenAPI document: RFC 9457
# problems with the reason in ``detail``.
APPEAL_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": text, "content": {"application/problem+json": {}}}
    for code, text in {
        403: "the caller did not decide the step, or did not lodge the appeal",
        404: "no such dossier, or no such appeal on it",
        409: "the appeal is already recorded or ended, or there is no decision to appeal",
        410: "the dossier was erased (Art. 27 §2)",
        422: "an invalid body, or an implausible date (before its decision or lodging, or ahead)",
    }.items()
}


@router.get("/schedule/{dossier_id}")
async def schedule(dossier_id: uuid.UUID, rt: RuntimeDep, caller: OverseerDep) -> Schedule:
    """When the dossier will be deleted, under which rule of Art. 27, and why."""
    return await _scheduled(rt, str(dossier_id))


@router.get("/forecast")
async def forecast(until: date, rt: RuntimeDep, caller: OverseerDep) -> list[Forecast]:
    """What will be deleted until a date, when and why; and what appeals hold."""
    return [Forecast.model_validate(row) for row in await handlers.forecast_until(rt, until)]


@router.post(
    "/dossiers/{dossier_id}/appeals", status_code=status.HTTP_201_CREATED, responses=APPEAL_ERRORS
)
async def appeal_lodged(
    dossier_id: uuid.UUID, body: Appeal, rt: RuntimeDep, caller: AppealDep
) -> Schedule:
    """Record an appeal against a decision: deletion waits for its end (Art. 27 §1 3°)."""
    lodge = LodgeAppeal(body.appeal_id, body.step, body.lodged_on, by=caller.authority.value)
    await handlers.record_appeal(rt, handlers.RecordAppeal(str(dossier_id), lodge))
    return await _scheduled(rt, str(dossier_id))


@router.post("/dossiers/{dossier_id}/appeals/{appeal_id}/decision", responses=APPEAL_ERRORS)
async def appeal_decided(
    dossier_id: uuid.UUID, appeal_id: str, body: AppealEnd, rt: RuntimeDep, caller: AppealDep
) -> Schedule:
    """Record the end of an appeal: the retention period may now run out."""
    end = EndAppeal(appeal_id, body.decided_on, by=caller.authority.value)
    await handlers.record_appeal(rt, handlers.RecordAppeal(str(dossier_id), end))
    return await _scheduled(rt, str(dossier_id))


@router.post("/purge-runs")
async def purge_run(rt: RuntimeDep, caller: OpsDep, deps: RetentionDepsDep) -> PurgeRun:
    """Delete now every dossier whose retention has ended (the loop does it hourly)."""
    purged = await handlers.run_purges(rt, handlers.RunPurges())
    return PurgeRun(today=deps.clock.today(), purged=purged)


async def _scheduled(rt: Runtime, dossier_id: str) -> Schedule:
    return Schedule.model_validate(await handlers.schedule_of(rt, dossier_id))
