"""A filed application reaches the competent region's work queue (Art. 9, Art. 12 §1),
through the outbox and the bus, on the embedded default and on PostgreSQL + Kafka."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from guichet_core.service import create_app
from guichet_core.settings import ServiceSettings
from guichet_intake.app import SPEC as INTAKE
from guichet_intake.settings import IntakeSettings
from guichet_regional_decision.app import SPEC as REGIONAL
from guichet_regional_decision.settings import RegionalDecisionSettings

from .conftest import running

BLUE_CARD_IN_EUPEN = {
    "kind": "single_permit",
    "category": "eu_blue_card",
    "workplace_postcode": "4700",
    "filed_by": "employer",
    "employer_enterprise_number": "0403.019.261",
}


async def wait_for_queue(client: httpx.AsyncClient, authority: str, count: int) -> list[Any]:
    for _ in range(100):
        queue = (await client.get(f"/queues/{authority}")).json()
        if len(queue) >= count:
            return list(queue)
        await asyncio.sleep(0.1)
    raise AssertionError(f"{authority} queue never reached {count} application(s): {queue}")


async def test_an_application_filed_for_eupen_lands_with_the_german_speaking_community(
    platform: ServiceSettings,
    span_processor: SimpleSpanProcessor,
    span_exporter: InMemorySpanExporter,
) -> None:
    shared = platform.model_dump()
    intake = create_app(INTAKE, IntakeSettings(**shared), span_processor=span_processor)
    regional = create_app(
        REGIONAL, RegionalDecisionSettings(**shared), span_processor=span_processor
    )
    async with running(intake) as filing, running(regional) as region:
        response = await filing.post("/applications", json=BLUE_CARD_IN_EUPEN)
        assert response.status_code == 201, response.text
        receipt = response.json()
        assert receipt["competent_authority"] == "DG"
        queue = await wait_for_queue(region, "DG", 1)
        assert [entry["application_id"] for entry in queue] == [receipt["application_id"]]
        assert queue[0]["status"] == "awaiting_admissibility"
        assert (await region.get("/queues/WAL")).json() == []

        health = (await region.get("/health")).json()
        group = next(iter(health["consumers"]))
        assert health["consumers"][group]["handled"] == 1

    # One trace follows the request from the HTTP call into the region's consumer.
    spans = span_exporter.get_finished_spans()
    post = next(s for s in spans if s.name == "POST /applications" and s.parent is None)
    trace_id = post.context.trace_id
    processed = [
        s for s in spans if s.name.endswith("intake.v1 process") and s.context.trace_id == trace_id
    ]
    assert processed, "the consumer's span is not in the request's trace"


async def test_bad_input_gets_a_reason_and_stores_nothing(platform: ServiceSettings) -> None:
    intake = create_app(INTAKE, IntakeSettings(**platform.model_dump()))
    async with running(intake) as filing:
        wrong_number = {**BLUE_CARD_IN_EUPEN, "employer_enterprise_number": "0403.019.262"}
        response = await filing.post("/applications", json=wrong_number)
        assert response.status_code == 422
        assert "enterprise number" in response.text
        abroad = {**BLUE_CARD_IN_EUPEN, "workplace_postcode": "75001"}
        assert (await filing.post("/applications", json=abroad)).status_code == 422
        card = {**BLUE_CARD_IN_EUPEN, "kind": "professional_card", "category": "self_employed"}
        refused = await filing.post("/applications", json=card)
        assert refused.status_code == 422
        assert "Art. 34" in refused.text
        runtime = intake.state.runtime
        assert await runtime.store.read_all() == []
        assert await runtime.store.outbox_backlog() == 0


async def test_a_restarted_service_keeps_every_earlier_event(platform: ServiceSettings) -> None:
    settings = IntakeSettings(**platform.model_dump())
    async with running(create_app(INTAKE, settings)) as filing:
        first = (await filing.post("/applications", json=BLUE_CARD_IN_EUPEN)).json()
    async with running(create_app(INTAKE, settings)) as filing:
        second = (await filing.post("/applications", json=BLUE_CARD_IN_EUPEN)).json()
        for receipt in (first, second):
            history = await filing.get(f"/applications/{receipt['application_id']}/events")
            assert history.status_code == 200
            assert [e["type"] for e in history.json()] == ["be.guichet.application.filed.v1"]
        assert (await filing.get("/health")).json()["relay"]["backlog"] == 0
