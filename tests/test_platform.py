"""Platform behaviour across services, on both deployments: one trace follows a request
over the bus, and a restarted service keeps every earlier event."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from guichet_contracts.vocabulary import Authority
from guichet_core.kernel.settings import ServiceSettings
from guichet_core.service import create_app
from guichet_intake.bootstrap import SPEC as INTAKE
from guichet_intake.settings import IntakeSettings
from guichet_regional_decision.bootstrap import SPEC as REGIONAL
from guichet_regional_decision.settings import RegionalDecisionSettings

from .conftest import running
from .support import (
    Tokens,
    application_form,
    document,
    eventually,
    issuer_for,
    production_secrets,
    with_secrets,
)


@pytest.fixture
def deployed(platform: ServiceSettings, tmp_path: Path) -> tuple[ServiceSettings, Tokens]:
    """The platform's settings and tokens it trusts; production deployments get real
    secrets (in their settings), not dev keys."""
    if platform.backend == "embedded":
        return platform, Tokens(issuer_for(platform))
    secrets, issuer = production_secrets(tmp_path)
    return with_secrets(platform, secrets), Tokens(issuer)


async def test_one_trace_follows_a_filing_into_the_regions_consumer(
    deployed: tuple[ServiceSettings, Tokens],
    span_processor: SimpleSpanProcessor,
    span_exporter: InMemorySpanExporter,
) -> None:
    platform, tokens = deployed
    span_exporter.clear()
    shared = platform.model_dump()
    intake = create_app(INTAKE, IntakeSettings(**shared), span_processor=span_processor)
    regional = create_app(
        REGIONAL, RegionalDecisionSettings(**shared), span_processor=span_processor
    )
    async with running(intake) as filing, running(regional) as region:
        response = await filing.post(
            "/applications", json=application_form(postcode="4700"), headers=tokens.employer()
        )
        assert response.status_code == 201, response.text
        application_id = response.json()["application_id"]
        dg = tokens.header(Authority.DG)

        async def queued() -> Any:
            return (await region.get("/queues/DG", headers=dg)).json()

        queue = await eventually(queued, "the German-speaking Community's queue has it")
        assert [str(entry["application_id"]) for entry in queue] == [application_id]

    spans = span_exporter.get_finished_spans()
    (post,) = [s for s in spans if s.name == "POST /applications" and s.parent is None]
    traces = {s.context.trace_id for s in spans if s.name.endswith("intake.v1 process")}
    assert post.context.trace_id in traces, "the consumer's span is not in the request's trace"


async def test_a_restarted_service_keeps_every_earlier_event(
    deployed: tuple[ServiceSettings, Tokens],
) -> None:
    platform, tokens = deployed
    settings = IntakeSettings(**platform.model_dump())
    receipts = []
    for _ in range(2):
        async with running(create_app(INTAKE, settings)) as filing:
            response = await filing.post(
                "/applications", json=application_form(), headers=tokens.employer()
            )
            receipts.append(response.json()["application_id"])
            store = filing._transport.app.state.runtime.store  # type: ignore[attr-defined]
            everything = [event.stream_id async for event in store.iter_all()]
    assert everything == receipts  # the first application survived the restart


async def test_once_opened_the_professional_card_procedure_is_decided_by_the_region(
    deployed: tuple[ServiceSettings, Tokens],
) -> None:
    platform, tokens = deployed
    """Art. 34, 36: the procedure opens on a date a later agreement sets (a switch, off by
    default); the region then decides the card (Art. 12 §1)."""
    shared = platform.model_dump()
    intake = create_app(INTAKE, IntakeSettings(**shared, professional_card_enabled=True))
    regional = create_app(REGIONAL, RegionalDecisionSettings(**shared))
    form = application_form(
        kind="professional_card",
        category="self_employed",
        postcode="1000",
        filed_by="self_employed",
        employer=None,
        fee_payment_reference=None,
        details={"self_employed_activity": "Independent software consultancy"},
        documents=[document("passport"), document("business_plan")],
    )
    async with running(intake) as filing, running(regional) as region:
        response = await filing.post("/applications", json=form, headers=tokens.worker())
        assert response.status_code == 201, response.text
        application_id = response.json()["application_id"]
        bxl = tokens.header(Authority.BXL)
        url = f"/dossiers/{application_id}"

        async def received() -> Any:
            return (await region.get(url, headers=bxl)).status_code == 200

        await eventually(received, "the region receives the card application")
        assert (
            await region.post(url + "/admissibility", json={"admissible": True}, headers=bxl)
        ).status_code == 200
        as_work = await region.post(
            url + "/work-decision",
            headers=bxl,
            json={"authorised": True, "valid_from": "2027-01-01", "valid_until": "2029-12-31"},
        )
        assert as_work.status_code == 409  # a card is not a work authorisation
        granted = await region.post(
            url + "/professional-card-decision",
            headers=bxl,
            json={"granted": True, "valid_from": "2027-01-01", "valid_until": "2031-12-31"},
        )
        assert (
            granted.status_code == 200 and granted.json()["status"] == "professional_card_granted"
        )

        async def applicant_sees() -> Any:
            view = (
                await filing.get(f"/applications/{application_id}", headers=tokens.worker())
            ).json()
            return view if view["status"] == "professional_card_granted" else None

        await eventually(applicant_sees, "the self-employed applicant sees the card granted")
