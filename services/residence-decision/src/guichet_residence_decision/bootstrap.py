"""Residence decision's wiring: its spec and ``build`` (nothing is created at import)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from guichet_contracts.topics import RESIDENCE_DECISION_TOPIC
from guichet_core.service import ServiceSpec, create_app
from guichet_residence_decision.api import router
from guichet_residence_decision.consumers import SUBSCRIPTIONS
from guichet_residence_decision.queue import residence_queue
from guichet_residence_decision.settings import ResidenceDecisionSettings

SPEC = ServiceSpec(
    name="residence-decision",
    title="Guichet residence decision",
    description="Residence decisions of the Immigration Office (Office des étrangers / Dienst "
    "Vreemdelingenzaken) on single-permit applications once work is authorised "
    "(cooperation agreement of 31 January 2025, Art. 12 §1, Art. 18, Art. 24).",
    topic=RESIDENCE_DECISION_TOPIC,
    migrations=Path(__file__).parent / "migrations" / "versions",
    routers=[router],
    dossier_tables=[(residence_queue, "application_id")],
    subscriptions=SUBSCRIPTIONS,
)


def build(settings: ResidenceDecisionSettings | None = None) -> FastAPI:
    """The service's app; ``settings`` come from the entrypoint (the environment's if none)."""
    return create_app(SPEC, settings or ResidenceDecisionSettings())
