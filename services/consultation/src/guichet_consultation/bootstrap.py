"""Consultation's wiring: its spec, its own dependencies built once the shared stores
exist (STYLE 7), and the app. Nothing is created at import time."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from guichet_consultation.access_log import AccessLog
from guichet_consultation.api import router
from guichet_consultation.consumers import SUBSCRIPTIONS, bind_purge
from guichet_consultation.deps import ConsultationDeps, deps_of
from guichet_consultation.domain import NoSuchDossier, NothingToRead, NothingToSearch
from guichet_consultation.generations import Generations
from guichet_consultation.search import SearchGuard, SearchLimit
from guichet_consultation.settings import ConsultationSettings
from guichet_contracts.topics import CONSULTATION_TOPIC
from guichet_core.http.problems import Problem
from guichet_core.service import Runtime, ServiceSpec, create_app

__all__ = ["SPEC", "ConsultationDeps", "bootstrap", "build", "deps_of"]

TOPIC = CONSULTATION_TOPIC


async def bootstrap(runtime: Runtime) -> ConsultationDeps:
    settings = runtime.settings
    searches = (
        settings.search_limit
        if isinstance(settings, ConsultationSettings)
        else SearchLimit().searches
    )
    await Generations(runtime.engine).ensure_active()  # the projection's tables
    return ConsultationDeps(
        access_log=AccessLog(runtime.engine), searches=SearchGuard(SearchLimit(searches))
    )


SPEC = ServiceSpec(
    name="consultation",
    title="Guichet consultation",
    description="Need-to-know views of the dossiers for each authority, and the access log "
    "(cooperation agreement of 31 January 2025, Art. 11, 21-26, 29).",
    topic=TOPIC,
    migrations=Path(__file__).parent / "migrations" / "versions",
    routers=[router],
    subscriptions=SUBSCRIPTIONS,
    bootstrap=bootstrap,
    purge_bind=bind_purge,
    notifies=False,  # it shows dossiers to authorities and tells applicants nothing
    # The reason of each refusal is the domain's, never the request's (STYLE 14).
    problems={
        NoSuchDossier: Problem(404, str),
        NothingToRead: Problem(403, str),
        NothingToSearch: Problem(422, str),
    },
)


def build(settings: ConsultationSettings | None = None) -> FastAPI:
    return create_app(SPEC, settings or ConsultationSettings())
