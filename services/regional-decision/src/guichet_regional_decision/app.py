"""Regional decision's HTTP API and its wiring."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request

from guichet_contracts import ApplicationFiled
from guichet_contracts.events import CompetentAuthority
from guichet_core.service import Runtime, ServiceSpec, SubscriptionSpec, create_app
from guichet_regional_decision.queue import on_application_filed, queue_of
from guichet_regional_decision.settings import RegionalDecisionSettings

TOPIC = "guichet.regional-decision.v1"
INTAKE_TOPIC = "guichet.intake.v1"


def runtime(request: Request) -> Runtime:
    return request.app.state.runtime  # type: ignore[no-any-return]


RuntimeDep = Annotated[Runtime, Depends(runtime)]
router = APIRouter(tags=["work queue"])


@router.get("/queues/{authority}")
async def queue(authority: CompetentAuthority, rt: RuntimeDep) -> list[dict[str, Any]]:
    """Applications awaiting the given region, oldest first."""
    async with rt.engine.connect() as connection:
        return await queue_of(connection, authority.value)


SPEC = ServiceSpec(
    name="regional-decision",
    title="Guichet regional decision",
    description="Admissibility and work decisions of the competent region "
    "(cooperation agreement of 31 January 2025, Art. 9, Art. 12 §1).",
    topic=TOPIC,
    migrations=Path(__file__).parent / "migrations" / "versions",
    routers=[router],
    subscriptions=[
        SubscriptionSpec(
            group="regional-decision.work-queue",
            topics=[INTAKE_TOPIC],
            handlers={ApplicationFiled.event_type: on_application_filed},
        )
    ],
)


def build(settings: RegionalDecisionSettings | None = None) -> FastAPI:
    return create_app(SPEC, settings or RegionalDecisionSettings())
