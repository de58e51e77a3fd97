"""Retention's HTTP API and its wiring (Art. 27-29)."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field

from guichet_contracts import CloudEventEnvelope, DomainEvent
from guichet_contracts.topics import (
    INTAKE_TOPIC,
    REGIONAL_DECISION_TOPIC,
    RESIDENCE_DECISION_TOPIC,
    RETENTION_TOPIC,
)
from guichet_contracts.vocabulary import DecisionStep
from guichet_core.auth import REGIONS, Authority, Caller, require_authority
from guichet_core.consumer import Handler
from guichet_core.deps import RuntimeDep
from guichet_core.service import Runtime, ServiceSpec, SubscriptionSpec, create_app
from guichet_core.store.sql import UnitOfWork
from guichet_retention import appeals, handlers
from guichet_retention.bootstrap import bootstrap, clock_of, deps_of, rules_of
from guichet_retention.rights_routes import router as rights_router
from guichet_retention.settings import RetentionSettings
from guichet_retention.store import forecast as forecast_of
from guichet_retention.store import retention_schedule

TOPIC = RETENTION_TOPIC
# Its own topic too: a store made anew learns the appeals and purges from the log.
FOLLOWED_TOPICS = [
    INTAKE_TOPIC,
    REGIONAL_DECISION_TOPIC,
    RESIDENCE_DECISION_TOPIC,
    RETENTION_TOPIC,
]
router = APIRouter(tags=["retention"])
# Whether the caller decided the step appealed against, or lodged the appeal, is the
# handler's check (appeals.py); the route admits deciders and court registries.
AppealDep = Annotated[
    Caller, Depends(require_authority(REGIONS, Authority.OE, Authority.COURT_REGISTRY))
]
OverseerDep = Annotated[
    Caller, Depends(require_authority(REGIONS, Authority.OE, Authority.PLATFORM_OPS))
]
OpsDep = Annotated[Caller, Depends(require_authority(Authority.PLATFORM_OPS))]


class Appeal(BaseModel):
    model_config = ConfigDict(extra="forbid")
    appeal_id: str = Field(min_length=1, max_length=64, examples=["RvV-2026-1234"])
    step: DecisionStep
    lodged_on: date


class AppealEnd(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decided_on: date


@router.get("/schedule/{dossier_id}")
async def schedule(dossier_id: uuid.UUID, rt: RuntimeDep, caller: OverseerDep) -> dict[str, Any]:
    """When the dossier will be deleted, under which rule of Art. 27, and why."""
    query = retention_schedule.select().where(retention_schedule.c.dossier_id == str(dossier_id))
    async with rt.engine.connect() as connection:
        row = (await connection.execute(query)).first()
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such dossier in the schedule")
    return {
        "dossier_id": row.dossier_id,
        "due_on": row.due_on,
        "rule": row.rule,
        "why": row.why,
        "held_by_appeal": row.held,
        "purged_at": row.purged_at,
    }


@router.get("/forecast")
async def forecast(until: date, rt: RuntimeDep, caller: OverseerDep) -> list[dict[str, Any]]:
    """What will be deleted until a date, when and why; and what appeals hold."""
    async with rt.engine.connect() as connection:
        return await forecast_of(connection, until)


# Why an appeal, its end or an erasure is refused, as the HTTP status that says it.
REFUSALS: dict[type[appeals.AppealRefused], int] = {
    appeals.UnknownDossier: status.HTTP_404_NOT_FOUND,
    appeals.UnknownAppeal: status.HTTP_404_NOT_FOUND,
    appeals.NotPermitted: status.HTTP_403_FORBIDDEN,
    appeals.AppealConflict: status.HTTP_409_CONFLICT,
    appeals.DossierErased: status.HTTP_410_GONE,
    appeals.ImplausibleDate: status.HTTP_422_UNPROCESSABLE_CONTENT,
}


def refused(error: appeals.AppealRefused) -> HTTPException:
    code = next(code for kind, code in REFUSALS.items() if isinstance(error, kind))
    return HTTPException(code, error.reason)


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


@router.post(
    "/dossiers/{dossier_id}/appeals", status_code=status.HTTP_201_CREATED, responses=APPEAL_ERRORS
)
async def appeal_lodged(
    dossier_id: uuid.UUID, body: Appeal, rt: RuntimeDep, caller: AppealDep
) -> dict[str, Any]:
    """Record an appeal against a decision: deletion waits for its end (Art. 27 §1 3°)."""
    command = appeals.LodgeAppeal(
        body.appeal_id, body.step, body.lodged_on, by=caller.authority.value
    )
    today = clock_of(rt).today()
    try:
        await handlers.record(
            rt,
            str(dossier_id),
            lambda state: appeals.lodge(state, command, today=today),
            rules_of(rt),
        )
    except appeals.AppealRefused as error:
        raise refused(error) from error
    return await schedule(dossier_id, rt, caller)


@router.post("/dossiers/{dossier_id}/appeals/{appeal_id}/decision", responses=APPEAL_ERRORS)
async def appeal_decided(
    dossier_id: uuid.UUID, appeal_id: str, body: AppealEnd, rt: RuntimeDep, caller: AppealDep
) -> dict[str, Any]:
    """Record the end of an appeal: the retention period may now run out."""
    command = appeals.EndAppeal(appeal_id, body.decided_on, by=caller.authority.value)
    today = clock_of(rt).today()
    try:
        await handlers.record(
            rt,
            str(dossier_id),
            lambda state: appeals.end(state, command, today=today),
            rules_of(rt),
        )
    except appeals.AppealRefused as error:
        raise refused(error) from error
    return await schedule(dossier_id, rt, caller)


@router.post("/purge-runs")
async def purge_run(rt: RuntimeDep, caller: OpsDep) -> dict[str, Any]:
    """Delete now every dossier whose retention has ended (the loop does it hourly)."""
    purged = await handlers.purge_due(rt, clock_of(rt), rules_of(rt))
    return {"today": clock_of(rt).today(), "purged": purged}


def bind(runtime: Runtime) -> dict[str, Handler]:
    rules = rules_of(runtime)

    async def handle(event: DomainEvent, envelope: CloudEventEnvelope, uow: UnitOfWork) -> None:
        await handlers.on_event(event, envelope, uow, rules)

    from guichet_contracts import REGISTRY

    return {model.event_type: handle for model in REGISTRY.models()}


SPEC = ServiceSpec(
    name="retention",
    title="Guichet retention",
    description="Retention schedule and deletion of dossiers, and data-subject rights "
    "(cooperation agreement of 31 January 2025, Art. 27-29).",
    topic=TOPIC,
    migrations=Path(__file__).parent / "migrations" / "versions",
    routers=[router, rights_router],
    subscriptions=[
        SubscriptionSpec(
            group="retention.schedule",
            topics=FOLLOWED_TOPICS,
            bind=bind,
            group_suffix=lambda runtime: "." + deps_of(runtime).schedule_epoch,
        )
    ],
    bootstrap=bootstrap,
    follows_purges=False,
)


def build(settings: RetentionSettings | None = None) -> FastAPI:
    return create_app(SPEC, settings or RetentionSettings())
