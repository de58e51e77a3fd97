"""Guichet consultation: wiring. Its domain arrives with its own issue; the service already runs
alone with its own database schema, topic, outbox relay, ``/health`` and ``/docs``."""

from __future__ import annotations

from fastapi import FastAPI

from guichet_consultation.settings import ConsultationSettings
from guichet_core.service import ServiceSpec, create_app

TOPIC = "guichet.consultation.v1"

SPEC = ServiceSpec(
    name="consultation",
    title="Guichet consultation",
    description=(
        "Need-to-know views of the dossiers for each authority, and the access log "
        "(cooperation agreement of 31 January 2025, Art. 11, 21-26)."
    ),
    topic=TOPIC,
)


def build(settings: ConsultationSettings | None = None) -> FastAPI:
    return create_app(SPEC, settings or ConsultationSettings())
