"""Guichet retention: wiring. Its domain arrives with its own issue; the service already runs
alone with its own database schema, topic, outbox relay, ``/health`` and ``/docs``."""

from __future__ import annotations

from fastapi import FastAPI

from guichet_core.service import ServiceSpec, create_app
from guichet_retention.settings import RetentionSettings

TOPIC = "guichet.retention.v1"

SPEC = ServiceSpec(
    name="retention",
    title="Guichet retention",
    description=(
        "Retention schedule and deletion of dossiers, and data-subject rights (cooperation "
        "agreement of 31 January 2025, Art. 27-29)."
    ),
    topic=TOPIC,
)


def build(settings: RetentionSettings | None = None) -> FastAPI:
    return create_app(SPEC, settings or RetentionSettings())
