"""The feed's wiring: its ``ServiceSpec`` and ``build``; nothing is created at import."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

import guichet_contracts.employment  # noqa: F401  (registers the feed's events)
from guichet_contracts.topics import ONSS_FEED_TOPIC
from guichet_core.service import ServiceSpec, create_app
from guichet_onss_feed import api
from guichet_onss_feed.consumers import SUBSCRIPTIONS
from guichet_onss_feed.settings import OnssFeedSettings
from guichet_onss_feed.tables import dossier_links, processed_declarations

TOPIC = ONSS_FEED_TOPIC
MIGRATIONS = Path(__file__).parent / "migrations" / "versions"

SPEC = ServiceSpec(
    name="onss-feed",
    title="Guichet ONSS and INASTI feed",
    description=(
        "Employment and wage data from DIMONA, LIMOSA and DmfA (ONSS/RSZ) and self-employed "
        "affiliations (INASTI/RSVZ) for the dossiers (cooperation agreement of 31 January "
        "2025, Art. 14)."
    ),
    topic=TOPIC,
    migrations=MIGRATIONS,
    routers=[api.router],
    subscriptions=SUBSCRIPTIONS,
    dossier_tables=[(dossier_links, "dossier_id"), (processed_declarations, "dossier_id")],
)


def build(settings: OnssFeedSettings | None = None) -> FastAPI:
    """The service's app, on the entrypoint's settings (or the environment's, called bare)."""
    return create_app(SPEC, settings or OnssFeedSettings())
