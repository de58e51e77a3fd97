"""The ONSS and INASTI feed (Art. 14) with intake, on the embedded default and on
PostgreSQL + Kafka: records link to the dossiers of their workers, travel sealed,
are rejected one by one with their line, and a re-import changes nothing."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import func, select

import guichet_contracts.employment  # noqa: F401  (registers the feed's events)
from guichet_consultation.bootstrap import SPEC as CONSULTATION
from guichet_consultation.settings import ConsultationSettings
from guichet_contracts.vocabulary import Authority
from guichet_core.kernel.codec import to_domain, to_envelope
from guichet_core.kernel.settings import ServiceSettings
from guichet_core.service import Runtime, create_app
from guichet_intake.bootstrap import SPEC as INTAKE
from guichet_intake.settings import IntakeSettings
from guichet_onss_feed.bootstrap import SPEC as FEED
from guichet_onss_feed.generator import niss_of
from guichet_onss_feed.settings import OnssFeedSettings
from guichet_onss_feed.tables import dossier_links, processed_declarations

from .stacks import deployment, running
from .support import (
    EMPLOYER,
    WORKER_NISS,
    Tokens,
    application_form,
    environment,
    eventually,
    read_topic,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")
POSTED_NISS = niss_of(date(1990, 5, 12), 101)
STRANGER_NISS = niss_of(date(1979, 11, 2), 44)  # a worker with no dossier
OTHER_EMPLOYER = "0202239951"


@dataclass
class Platform:
    intake: httpx.AsyncClient
    feed: httpx.AsyncClient
    consultation: httpx.AsyncClient
    runtime: Runtime
    tokens: Tokens
    settings: ServiceSettings


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=["embedded", "postgres-kafka"])
async def platform(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Platform]:
    with deployment(request, tmp_path_factory.mktemp("onss")) as used:
        shared = used.settings.model_dump()
        with environment(**used.secrets):
            feed_app = create_app(FEED, OnssFeedSettings(**shared))
            apps = [
                create_app(INTAKE, IntakeSettings(**shared)),
                feed_app,
                create_app(CONSULTATION, ConsultationSettings(**shared)),
            ]
            async with contextlib.AsyncExitStack() as services:
                clients = [await services.enter_async_context(running(a)) for a in apps]
                intake, feed, consultation = clients
                yield Platform(
                    intake,
                    feed,
                    consultation,
                    feed_app.state.runtime,
                    Tokens(used.issuer),
                    used.settings,
                )


def worker_form(niss: str, birth: str, **overrides: Any) -> dict[str, Any]:
    form = application_form(**overrides)
    form["worker"] = {**form["worker"], "niss": niss, "birth_date": birth}
    return form


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def dossiers(platform: Platform) -> dict[str, str]:
    """A general single permit for WORKER_NISS at EMPLOYER, an ICT one for POSTED_NISS."""
    forms = {
        "general": worker_form(WORKER_NISS, "1985-07-30", category="general"),
        "posted": worker_form(
            POSTED_NISS,
            "1990-05-12",
            category="intra_corporate_transferee",
            details={"host_group_entity": "Infy Ltd, Bangalore"},
        ),
    }
    ids = {}
    for name, form in forms.items():
        response = await platform.intake.post(
            "/applications", json=form, headers=platform.tokens.employer()
        )
        assert response.status_code == 201, response.text
        ids[name] = str(response.json()["application_id"])

    async def linked() -> bool:
        async with platform.runtime.engine.connect() as connection:
            rows = await connection.execute(select(dossier_links.c.dossier_id))
            return {row.dossier_id for row in rows} >= set(ids.values())

    await eventually(linked, "the feed links both dossiers by NISS")
    return ids


def onss(platform: Platform) -> dict[str, str]:
    return platform.tokens.header(Authority.ONSS, "onss-batch")


async def events_in_store(platform: Platform) -> list[Any]:
    return await platform.runtime.store.read_all(limit=10_000)


async def test_a_dimona_batch_links_by_niss_and_employer_and_rejects_one_by_one(
    platform: Platform, dossiers: dict[str, str]
) -> None:
    good = {
        "dimona_id": "D-100",
        "action": "in",
        "employer": EMPLOYER,
        "niss": WORKER_NISS,
        "entry_date": "2026-03-02",
        "joint_committee": "200",
        "worker_type": "OTH",
    }
    batch = [
        good,
        {**good, "dimona_id": "D-101", "niss": "85073003329"},  # bad check digits
        {**good, "dimona_id": "D-102", "niss": STRANGER_NISS},  # no dossier
        {**good, "dimona_id": "D-103", "employer": OTHER_EMPLOYER},  # not the dossier's employer
        {**good, "dimona_id": "D-100", "action": "out", "exit_date": "2026-02-01"},  # exit < entry
        {**good, "action": "out", "exit_date": "2026-08-31"},
    ]
    response = await platform.feed.post("/batches/dimona", json=batch, headers=onss(platform))
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["accepted"], answer["unlinked"], answer["duplicates"]) == (2, 2, 0)
    assert [r["line"] for r in answer["rejected"]] == [2, 5]
    assert "niss" in answer["rejected"][0]["reason"]
    again = (await platform.feed.post("/batches/dimona", json=batch, headers=onss(platform))).json()
    assert (again["accepted"], again["duplicates"], again["unlinked"]) == (0, 2, 2)
    stored = [e for e in await events_in_store(platform) if e.stream_id == dossiers["general"]]
    assert [e.event_type for e in stored] == [
        "be.guichet.employment.declared.v1",
        "be.guichet.employment.ended.v1",
    ]


async def test_the_competent_region_sees_the_declarations_and_their_signals(
    platform: Platform, dossiers: dict[str, str]
) -> None:
    """Art. 10 6°-8°, Art. 14: employment declared while no work authorisation was granted
    is signalled to the region in its consultation view; ONSS itself consults nothing."""
    bxl = platform.tokens.header(Authority.BXL)
    url = f"/dossiers/{dossiers['general']}"

    async def signalled() -> Any:
        body = (await platform.consultation.get(url, headers=bxl)).json()
        data = body.get("data", {}).get("employment_declarations") or {}
        return data if data.get("signals") else None

    data = await eventually(signalled, "consultation shows the DIMONA signal")
    assert "employment_before_authorisation" in {s["code"] for s in data["signals"]}
    assert data["declarations"][0]["niss"] == WORKER_NISS  # opened for the entitled region
    denied = await platform.consultation.get(url, headers=onss(platform))
    assert denied.status_code == 403


async def test_only_the_feeding_authority_may_send_its_source(
    platform: Platform, dossiers: dict[str, str]
) -> None:
    inasti = platform.tokens.header(Authority.INASTI, "inasti-batch")
    assert (await platform.feed.post("/batches/dimona", json=[], headers=inasti)).status_code == 403
    response = await platform.feed.post("/batches/inasti", json=[], headers=onss(platform))
    assert response.status_code == 403
    vlg = platform.tokens.header(Authority.VLG)
    assert (await platform.feed.post("/batches/dmfa", json=[], headers=vlg)).status_code == 403
    assert (await platform.feed.post("/batches/dmfa", json=[])).status_code == 401


async def chunked(data: bytes, size: int = 50) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


DMFA_CSV = (
    "quarter,employer,niss,gross_wage_eur,days_worked,hours_worked,joint_committee\n"
    f"2026-Q1,{EMPLOYER},{WORKER_NISS},10400.00,64,486.40,200\n"
    f"2026-Q1,{EMPLOYER},{WORKER_NISS[:-1]}0,10400.00,64,486.40,200\n"
    f"2025-Q4,{EMPLOYER},{WORKER_NISS},-5,64,486.40,200\n"
    f"2025-Q4,{EMPLOYER},{STRANGER_NISS},9000.00,60,456.00,200\n"
    f"2025-Q4,{EMPLOYER},{WORKER_NISS},15600.00,64,486.40\n"
)


async def test_a_streamed_dmfa_csv_names_rejected_lines_and_a_reimport_changes_nothing(
    platform: Platform, dossiers: dict[str, str]
) -> None:
    headers = {**onss(platform), "content-type": "text/csv"}

    async def send(text: str) -> dict[str, Any]:
        response = await platform.feed.post(
            "/imports/dmfa", content=chunked(text.encode()), headers=headers
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    answer = await send(DMFA_CSV)
    assert (answer["records"], answer["accepted"], answer["unlinked"]) == (5, 1, 1)
    assert [r["line"] for r in answer["rejected"]] == [3, 4, 6]  # the header is line 1
    assert "cells" in answer["rejected"][2]["reason"]
    before = len(await events_in_store(platform))
    again = await send(DMFA_CSV)
    assert (again["accepted"], again["duplicates"], again["unlinked"]) == (0, 1, 1)
    assert again["rejected"] == answer["rejected"]
    assert len(await events_in_store(platform)) == before
    corrected = DMFA_CSV.splitlines()[0] + "\n" + DMFA_CSV.splitlines()[1].replace("10400", "9")
    conflict = await send(corrected + "\n")
    assert conflict["rejected"][0]["line"] == 2
    assert "conflicting correction" in conflict["rejected"][0]["reason"]
    async with platform.runtime.engine.connect() as connection:
        kept = (
            await connection.execute(select(func.count()).select_from(processed_declarations))
        ).scalar_one()
    assert kept == 3  # two DIMONA declarations and one DmfA line: nothing unlinked is kept
    response = await platform.feed.post("/imports/dmfa", content=b"x", headers=onss(platform))
    assert response.status_code == 415


async def test_limosa_json_lines_and_an_inasti_batch_link_by_niss(
    platform: Platform, dossiers: dict[str, str]
) -> None:
    record = {
        "limosa_id": "L-7",
        "declarant": "employee",
        "niss": POSTED_NISS,
        "sender_name": "Infy",
        "sender_country": "IN",
        "belgian_user": EMPLOYER,
        "start_date": "2026-04-01",
        "end_date": "2027-03-31",
        "workplace_postcode": "2000",
    }
    limosa = json.dumps(record) + "\nnot json\n"
    headers = {**onss(platform), "content-type": "application/x-ndjson"}
    response = await platform.feed.post(
        "/imports/limosa", content=chunked(limosa.encode(), 17), headers=headers
    )
    answer = response.json()
    assert answer["accepted"] == 1 and [r["line"] for r in answer["rejected"]] == [2]
    inasti = platform.tokens.header(Authority.INASTI, "inasti-batch")
    affiliation = {"niss": WORKER_NISS, "start_date": "2026-01-01", "activity": "consulting"}
    answer = (
        await platform.feed.post("/batches/inasti", json=[affiliation], headers=inasti)
    ).json()
    assert answer["accepted"] == 1
    types = {(e.stream_id, e.event_type) for e in await events_in_store(platform)}
    assert (dossiers["posted"], "be.guichet.posting.declared.v1") in types
    assert (dossiers["general"], "be.guichet.self-employed-affiliation.recorded.v1") in types


async def test_events_on_the_topic_are_linked_and_sealed(
    platform: Platform, dossiers: dict[str, str]
) -> None:
    settings = platform.settings
    messages = await read_topic(
        settings,
        platform.runtime.topic,
        lambda found: len(found) >= 5,
        "the feed's events are on its topic",
    )
    for message in messages:
        wire = message.value + b" ".join(v for _, v in message.headers) + (message.key or b"")
        assert WORKER_NISS.encode() not in wire and POSTED_NISS.encode() not in wire
        assert b"10400" not in wire  # wages are personal data
        event = to_domain(to_envelope(message))
        assert str(event.application_id) in dossiers.values()
        personal = await platform.runtime.vault.unseal(
            event.personal,  # type: ignore[attr-defined]
            dossier_id=str(event.application_id),
        )
        assert personal["niss"] in (WORKER_NISS, POSTED_NISS)
