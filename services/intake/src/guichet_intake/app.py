"""Intake's HTTP API and its wiring."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, status
from pydantic import BaseModel, ConfigDict, Field

from guichet_contracts.events import (
    ApplicantCategory,
    ApplicationKind,
    CompetentAuthority,
    FilerRole,
)
from guichet_core.codec import new_event
from guichet_core.service import Runtime, ServiceSpec, create_app
from guichet_intake.domain import FileApplication, FilingRejected, file_application
from guichet_intake.settings import IntakeSettings

TOPIC = "guichet.intake.v1"


class ApplicationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: ApplicationKind
    category: ApplicantCategory
    workplace_postcode: str = Field(examples=["1000"], description="Postcode of the place of work")
    filed_by: FilerRole
    employer_enterprise_number: str | None = Field(default=None, examples=["0403.019.261"])


class ApplicationReceipt(BaseModel):
    application_id: UUID
    competent_authority: CompetentAuthority
    filed_at: datetime
    version: int


def runtime(request: Request) -> Runtime:
    return request.app.state.runtime  # type: ignore[no-any-return]


RuntimeDep = Annotated[Runtime, Depends(runtime)]
router = APIRouter(tags=["applications"])


@router.post("/applications", status_code=status.HTTP_201_CREATED)
async def file(body: ApplicationRequest, rt: RuntimeDep) -> ApplicationReceipt:
    """File an application; it is routed to the region competent for the place of work."""
    settings = rt.settings
    assert isinstance(settings, IntakeSettings)
    try:
        filed = file_application(
            FileApplication(**body.model_dump()),
            now=datetime.now(UTC),
            professional_card_enabled=settings.professional_card_enabled,
        )
    except FilingRejected as error:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=[{"loc": ["body", error.field], "msg": error.reason}],
        ) from error
    stream = str(filed.application_id)
    async with rt.unit_of_work() as uow:
        recorded = await uow.append(
            stream, [new_event(filed)], expected_version=0, publish_to=rt.topic
        )
    return ApplicationReceipt(
        application_id=filed.application_id,
        competent_authority=filed.competent_authority,
        filed_at=filed.filed_at,
        version=recorded[-1].version,
    )


@router.get("/applications/{application_id}/events")
async def history(application_id: UUID, rt: RuntimeDep) -> list[dict[str, object]]:
    """The dossier's events as intake recorded them (types, versions and times)."""
    events = await rt.store.read_stream(str(application_id))
    if not events:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such application")
    return [
        {"version": e.version, "type": e.event_type, "occurred_at": e.occurred_at} for e in events
    ]


SPEC = ServiceSpec(
    name="intake",
    title="Guichet intake",
    description="Online filing of single-permit, work-authorisation and professional-card "
    "applications (cooperation agreement of 31 January 2025, Art. 2 §1 1°, Art. 19-20).",
    topic=TOPIC,
    routers=[router],
)


def build(settings: IntakeSettings | None = None) -> FastAPI:
    return create_app(SPEC, settings or IntakeSettings())
