"""No personal value and no reason in what the services write to their operators: log
lines (uvicorn's access log and error log included) and spans (the console exporter),
even when a write fails half-way (GDPR Art. 5 §1 f, integrity and confidentiality;
Art. 32, security of processing; agreement Art. 24: a refusal's reasons reach only the
worker).

Real servers: the regional-decision and consultation services run as their own
processes under uvicorn, as in production, with ``GUICHET_OTEL_EXPORTER=console``; their
stdout and stderr are captured whole. Intake files the dossier in process.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from guichet_contracts.vocabulary import Authority
from guichet_core.kernel.settings import ServiceSettings
from guichet_core.kernel.store.database import normalise_url
from guichet_core.service import create_app
from guichet_core.testing.database import drop_schemas, run_sync
from guichet_core.testing.plugin import unique
from guichet_intake.bootstrap import SPEC as INTAKE
from guichet_intake.settings import IntakeSettings

from .conftest import running
from .stacks import free_port
from .support import (
    WORKER_NISS,
    Tokens,
    application_form,
    environment,
    eventually,
    issuer_for,
    production_secrets,
    with_secrets,
)

WORKER_EMAIL = "amina.diallo@example.org"
REASONS = "Refusal ground ZQ-314: the employer's file is incomplete."
PERSONAL = [
    WORKER_NISS,
    "85.07.30-033.28",
    WORKER_EMAIL,
    "Diallo",
    "Amina",
    "A12345678",
    REASONS,
    "ZQ-314",
]


class Service:
    """One service in its own process; everything it writes goes to ``output``."""

    def __init__(self, module: str, env: dict[str, str], output: Path) -> None:
        self.port = free_port()
        name = module.removeprefix("guichet_").upper()
        env = {**env, f"GUICHET_{name}_PORT": str(self.port)}
        self.output = output
        with output.open("w") as sink:
            self.process = subprocess.Popen(
                [sys.executable, "-m", module], env=env, stdout=sink, stderr=subprocess.STDOUT
            )
        self.url = f"http://127.0.0.1:{self.port}"

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and self.process.poll() is None:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url + "/readyz", timeout=2).status_code == 200:
                    return
            time.sleep(0.2)
        raise AssertionError(f"{self.url} never got ready:\n{self.output.read_text()[-3000:]}")

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.output.read_text()


@contextlib.contextmanager
def services(env: dict[str, str], directory: Path, *modules: str) -> Iterator[list[Service]]:
    started: list[Service] = []
    try:
        for module in modules:
            started.append(Service(module, env, directory / f"{module}.out"))
        for service in started:
            service.wait_ready()
        yield started
    finally:
        for service in started:
            service.stop()


Deployment = tuple[dict[str, str], Tokens, ServiceSettings]


@pytest.fixture(params=["embedded", "postgres-kafka"])
def deployment(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Deployment]:
    """The environment a deployment gives its services, and tokens they trust."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("GUICHET_")}
    env.pop("DATABASE_URL", None)
    env.pop("KAFKA_BOOTSTRAP", None)
    env.update(GUICHET_DATA_DIR=str(tmp_path / "var"), GUICHET_OTEL_EXPORTER="console")
    if request.param == "embedded":
        settings = ServiceSettings(backend="embedded", data_dir=tmp_path / "var")
        yield env, Tokens(issuer_for(settings)), settings
        return
    secrets, issuer = production_secrets(tmp_path)
    namespace = unique("t") + "_"
    url, bootstrap = (
        request.getfixturevalue("postgres_url"),
        request.getfixturevalue("kafka_bootstrap"),
    )
    env.update(
        secrets,
        GUICHET_BACKEND="postgres-kafka",
        DATABASE_URL=url,
        KAFKA_BOOTSTRAP=bootstrap,
        GUICHET_NAMESPACE=namespace,
    )
    settings = ServiceSettings(
        backend="postgres-kafka",
        data_dir=tmp_path / "var",
        database_url=url,
        kafka_bootstrap=bootstrap,
        namespace=namespace,
    )
    settings = with_secrets(settings, secrets)
    try:
        yield env, Tokens(issuer), settings
    finally:
        run_sync(drop_schemas(url, namespace))


async def refuse_notifications(settings: ServiceSettings) -> None:
    """Make the region's next write fail half-way, in its last statement: the database
    refuses the notification row, and (on PostgreSQL) quotes the address back, as a
    constraint violation's ``DETAIL`` does."""
    if settings.backend == "embedded":
        engine = create_async_engine(
            f"sqlite+aiosqlite:///{settings.data_dir}/regional_decision.sqlite3"
        )
        statements = [
            "create trigger refuse before insert on notification_outbox "
            "begin select raise(abort, 'notification refused'); end"
        ]
    else:
        engine = create_async_engine(normalise_url(str(settings.database_url)))
        schema = f'"{settings.namespace}regional_decision"'
        statements = [
            f"create function {schema}.refuse() returns trigger language plpgsql as $$ begin "
            "raise exception 'cannot notify %', new.email using detail = new.body; end $$",
            f"create trigger refuse before insert on {schema}.notification_outbox "
            f"for each row execute function {schema}.refuse()",
        ]
    async with engine.begin() as connection:
        for statement in statements:
            await connection.execute(text(statement))
    await engine.dispose()


async def test_a_failed_write_and_a_niss_search_leave_no_personal_value_in_logs_or_spans(
    deployment: Deployment, tmp_path: Path
) -> None:
    env, tokens, settings = deployment
    vlg = tokens.header(Authority.VLG)
    with (
        services(env, tmp_path, "guichet_regional_decision", "guichet_consultation") as (
            region,
            consultation,
        ),
        environment(**{k: v for k, v in env.items() if k.startswith("GUICHET_")}),
    ):
        intake_app = create_app(INTAKE, IntakeSettings(**settings.model_dump()))
        async with (
            running(intake_app) as intake,
            httpx.AsyncClient(
                limits=httpx.Limits(max_keepalive_connections=0)  # uvicorn closes after a 500
            ) as http,
        ):
            form = application_form(postcode="2000", worker_email=WORKER_EMAIL)
            filed = await intake.post("/applications", json=form, headers=tokens.employer())
            assert filed.status_code == 201, filed.text
            dossier = region.url + f"/dossiers/{filed.json()['application_id']}"

            async def received() -> bool:
                return (await http.get(dossier, headers=vlg)).status_code == 200

            await eventually(received, "the region receives the dossier")
            await refuse_notifications(settings)
            refusal = {"admissible": False, "reasons": REASONS}
            failed = await http.post(dossier + "/admissibility", json=refusal, headers=vlg)
            assert failed.status_code == 500
            assert not any(value in failed.text for value in PERSONAL)
            unchanged = (await http.get(dossier, headers=vlg)).json()
            assert unchanged["status"] != "inadmissible"  # nothing half-stored

            search = consultation.url + "/dossiers"
            by_post = await http.post(search + "/search", json={"niss": WORKER_NISS}, headers=vlg)
            assert by_post.status_code == 200
            by_query = await http.get(search, params={"niss": WORKER_NISS}, headers=vlg)
            assert by_query.status_code == 400
    written = {"regional-decision": region.stop(), "consultation": consultation.stop()}
    # What was written is what an operator reads: the failure and the searches are there...
    assert "Exception in ASGI application" in written["regional-decision"]
    assert '"exception.stacktrace"' in written["regional-decision"]
    assert "POST /dossiers/search HTTP/1.1" in written["consultation"]
    assert "GET /dossiers?niss=[redacted] HTTP/1.1" in written["consultation"]
    assert '"http.route": "/dossiers/search"' in written["consultation"]
    # ...and no personal value or reason is.
    for service, output in written.items():
        for value in PERSONAL:
            assert value not in output, f"{value!r} written by {service}: " + _around(output, value)


def _around(output: str, value: str) -> str:
    at = output.index(value)
    return output[max(0, at - 300) : at + 300]
