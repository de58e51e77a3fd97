"""Intake's wiring: its ``ServiceSpec`` and ``build``; nothing is created at import."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from guichet_contracts.topics import INTAKE_TOPIC
from guichet_core.service import ServiceSpec, create_app
from guichet_intake import api
from guichet_intake.consumers import SUBSCRIPTIONS
from guichet_intake.problems import PROBLEMS
from guichet_intake.settings import IntakeSettings
from guichet_intake.tables import applicant_access, documents, dossier_status

TOPIC = INTAKE_TOPIC
MIGRATIONS = Path(__file__).parent / "migrations" / "versions"

SPEC = ServiceSpec(
    name="intake",
    title="Guichet intake",
    description="Online filing of single-permit, work-authorisation and professional-card "
    "applications, and the applicant's view of them (cooperation agreement of 31 January "
    "2025, Art. 2 §1 1°, Art. 19-20).",
    topic=TOPIC,
    migrations=MIGRATIONS,
    routers=[api.router],
    dossier_tables=[
        (documents, "dossier_id"),
        (applicant_access, "dossier_id"),
        (dossier_status, "dossier_id"),
    ],
    erases_ebox=True,
    subscriptions=SUBSCRIPTIONS,
    problems=PROBLEMS,
)


def build(settings: IntakeSettings | None = None) -> FastAPI:
    """The service's app, on the entrypoint's settings (or the environment's, called bare)."""
    return create_app(SPEC, settings or IntakeSettings())
