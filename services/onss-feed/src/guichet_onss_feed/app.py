"""Guichet ONSS and INASTI feed: wiring.

Its domain arrives with its own issue; the service already runs
alone with its own database schema, topic, outbox relay, ``/health`` and ``/docs``."""

from __future__ import annotations

from fastapi import FastAPI

from guichet_core.service import ServiceSpec, create_app
from guichet_onss_feed.settings import OnssFeedSettings

TOPIC = "guichet.onss-feed.v1"

SPEC = ServiceSpec(
    name="onss-feed",
    title="Guichet ONSS and INASTI feed",
    description=(
        "Employment and wage data from DIMONA, LIMOSA and DmfA (ONSS/RSZ) and self-employed "
        "affiliations (INASTI/RSVZ) for the dossiers (cooperation agreement of 31 January "
        "2025, Art. 14)."
    ),
    topic=TOPIC,
)


def build(settings: OnssFeedSettings | None = None) -> FastAPI:
    return create_app(SPEC, settings or OnssFeedSettings())
