"""A whole platform in process for the cross-service tests: intake, the regions, the
Immigration Office and consultation, on the embedded default or on PostgreSQL + Kafka
(with production secrets, as production refuses development keys), and a real SMTP
server that keeps what it receives."""

from __future__ import annotations

import contextlib
import email
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from fastapi import FastAPI

from guichet_consultation.bootstrap import SPEC as CONSULTATION
from guichet_consultation.settings import ConsultationSettings
from guichet_contracts.vocabulary import Authority
from guichet_core.http.auth import DevTokenIssuer
from guichet_core.kernel.settings import ServiceSettings, SmtpSettings
from guichet_core.service import create_app
from guichet_core.testing.database import drop_schemas, run_sync
from guichet_core.testing.plugin import unique
from guichet_intake.bootstrap import SPEC as INTAKE
from guichet_intake.settings import IntakeSettings
from guichet_regional_decision.bootstrap import SPEC as REGIONAL
from guichet_regional_decision.settings import RegionalDecisionSettings
from guichet_residence_decision.bootstrap import SPEC as RESIDENCE
from guichet_residence_decision.settings import ResidenceDecisionSettings
from guichet_retention.bootstrap import SPEC as RETENTION
from guichet_retention.settings import RetentionSettings

from .support import (
    Tokens,
    application_form,
    environment,
    eventually,
    issuer_for,
    production_secrets,
    with_secrets,
)


@contextlib.asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Run the app's lifespan (migrations, relay, consumers) and talk to it over ASGI."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            yield client


class Mailbox:
    """A real SMTP server on loopback that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"

    def to(self, address: str) -> list[email.message.Message]:
        return [m for m in self.messages if m["To"] == address]


@dataclass
class Stack:
    intake: httpx.AsyncClient
    region: httpx.AsyncClient
    office: httpx.AsyncClient
    consultation: httpx.AsyncClient
    retention: httpx.AsyncClient | None
    tokens: Tokens
    mailbox: Mailbox
    settings: ServiceSettings
    secrets: dict[str, str] = field(default_factory=dict)
    apps: list[Any] = field(default_factory=list)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Deployment:
    """What every service of one test platform shares."""

    settings: ServiceSettings
    issuer: DevTokenIssuer
    secrets: dict[str, str]


@contextlib.contextmanager
def deployment(request: pytest.FixtureRequest, directory: Path) -> Iterator[Deployment]:
    """``request.param`` names the deployment: ``embedded``, or ``postgres-kafka`` with
    production secrets in a throw-away namespace whose schemas are dropped on exit."""
    if request.param == "embedded":
        settings = ServiceSettings(backend="embedded", data_dir=directory / "var")
        yield Deployment(settings, issuer_for(settings), {})
        return
    namespace = unique("t") + "_"
    database_url = request.getfixturevalue("postgres_url")
    secrets, issuer = production_secrets(directory)
    settings = ServiceSettings(
        backend="postgres-kafka",
        data_dir=directory / "var",
        database_url=database_url,
        kafka_bootstrap=request.getfixturevalue("kafka_bootstrap"),
        namespace=namespace,
    )
    settings = with_secrets(settings, secrets)  # each service's settings are built from these
    try:
        yield Deployment(settings, issuer, secrets)
    finally:
        run_sync(drop_schemas(database_url, namespace))


@contextlib.asynccontextmanager
async def open_stack(
    request: pytest.FixtureRequest, directory: Path, *, retention: RetentionSettings | None = None
) -> AsyncIterator[Stack]:
    """The platform of ``deployment``; the retention service runs too when ``retention``
    gives its own settings (e.g. its day)."""
    with deployment(request, directory) as platform:
        mailbox = Mailbox()
        smtp = Controller(mailbox, hostname="127.0.0.1", port=free_port())
        smtp.start()
        relay = SmtpSettings(host="127.0.0.1", port=smtp.port)
        shared = platform.settings.model_copy(update={"smtp": relay}).model_dump()
        try:
            with environment(**platform.secrets):
                apps = [
                    create_app(INTAKE, IntakeSettings(**shared)),
                    create_app(REGIONAL, RegionalDecisionSettings(**shared)),
                    create_app(RESIDENCE, ResidenceDecisionSettings(**shared)),
                    create_app(CONSULTATION, ConsultationSettings(**shared)),
                ]
                if retention is not None:
                    own = retention.model_dump(exclude=set(shared))
                    apps.append(create_app(RETENTION, RetentionSettings(**shared, **own)))
                async with contextlib.AsyncExitStack() as services:
                    clients: list[httpx.AsyncClient | None] = [
                        await services.enter_async_context(running(app)) for app in apps
                    ]
                    if retention is None:
                        clients.append(None)
                    tokens = Tokens(platform.issuer)
                    yield Stack(
                        *clients, tokens, mailbox, platform.settings, platform.secrets, apps
                    )
        finally:
            smtp.stop()


async def filed_in_flanders(stack: Stack) -> str:
    """A filing in Antwerp (postcode 2000), once the Flemish region has received it
    (Art. 9: the region of the workplace is competent); returns its id."""
    response = await stack.intake.post(
        "/applications", json=application_form(postcode="2000"), headers=stack.tokens.employer()
    )
    assert response.status_code == 201, response.text
    dossier = str(response.json()["application_id"])
    vlg = stack.tokens.header(Authority.VLG)

    async def in_region() -> bool:
        return (await stack.region.get(f"/dossiers/{dossier}", headers=vlg)).status_code == 200

    await eventually(in_region, "the region receives the dossier")
    return dossier


async def documents_requested(stack: Stack, dossier: str) -> str:
    """Flanders declares the dossier admissible and asks for the employment contract
    (Art. 20 §4); returns the request id once the applicant sees it."""
    vlg = stack.tokens.header(Authority.VLG)
    url = f"/dossiers/{dossier}"
    admitted = await stack.region.post(
        url + "/admissibility", json={"admissible": True}, headers=vlg
    )
    assert admitted.status_code == 200, admitted.text
    asked = await stack.region.post(
        url + "/document-requests",
        headers=vlg,
        json={
            "document_kinds": ["employment_contract"],
            "explanation": "The signed contract.",
            "due_on": (date.today() + timedelta(days=30)).isoformat(),
        },
    )
    assert asked.status_code == 200, asked.text

    async def requested() -> Any:
        view = await stack.intake.get(f"/applications/{dossier}", headers=stack.tokens.employer())
        return view.json().get("open_request")

    return str(await eventually(requested, "the applicant sees the request for documents"))
