"""Guichet residence decision: wiring.

Its domain arrives with its own issue; the service already runs
alone with its own database schema, topic, outbox relay, ``/health`` and ``/docs``."""

from __future__ import annotations

from fastapi import FastAPI

from guichet_core.service import ServiceSpec, create_app
from guichet_residence_decision.settings import ResidenceDecisionSettings

TOPIC = "guichet.residence-decision.v1"

SPEC = ServiceSpec(
    name="residence-decision",
    title="Guichet residence decision",
    description=(
        "Residence decisions of the Immigration Office (Office des étrangers / Dienst "
        "Vreemdelingenzaken) on single-permit applications once work is authorised "
        "(cooperation agreement of 31 January 2025, Art. 12 §1)."
    ),
    topic=TOPIC,
)


def build(settings: ResidenceDecisionSettings | None = None) -> FastAPI:
    return create_app(SPEC, settings or ResidenceDecisionSettings())
