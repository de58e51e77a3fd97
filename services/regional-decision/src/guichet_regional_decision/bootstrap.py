"""Regional decision's wiring: its spec and ``build`` (nothing is created at import)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from guichet_contracts.topics import REGIONAL_DECISION_TOPIC
from guichet_core.service import ServiceSpec, create_app
from guichet_regional_decision.api import router
from guichet_regional_decision.consumers import SUBSCRIPTIONS
from guichet_regional_decision.queue import work_queue
from guichet_regional_decision.settings import RegionalDecisionSettings

SPEC = ServiceSpec(
    name="regional-decision",
    title="Guichet regional decision",
    description="Admissibility and work decisions of the competent region "
    "(cooperation agreement of 31 January 2025, Art. 9, Art. 12 §1, Art. 20 §4, Art. 24).",
    topic=REGIONAL_DECISION_TOPIC,
    migrations=Path(__file__).parent / "migrations" / "versions",
    routers=[router],
    dossier_tables=[(work_queue, "application_id")],
    subscriptions=SUBSCRIPTIONS,
)


def build(settings: RegionalDecisionSettings | None = None) -> FastAPI:
    """The service's app; ``settings`` come from the entrypoint (the environment's if none)."""
    return create_app(SPEC, settings or RegionalDecisionSettings())
