"""Retention's wiring: its spec, its own dependencies built once the shared stores exist
(STYLE 7), and the app. Nothing is created at import time."""

from __future__ import annotations

import asyncio
from pathlib import Path

from fastapi import FastAPI

from guichet_contracts.topics import RETENTION_TOPIC
from guichet_core.http.problems import Problem
from guichet_core.service import Runtime, ServiceSpec, create_app
from guichet_retention import domain, handlers, rights, rights_handlers
from guichet_retention.api import router
from guichet_retention.clock import FixedClock, SystemClock
from guichet_retention.consumers import SUBSCRIPTIONS
from guichet_retention.deps import RetentionDeps, clock_of, deps_of, rules_of
from guichet_retention.purge import purge_loop
from guichet_retention.rights_api import router as rights_router
from guichet_retention.schedule import RetentionRules
from guichet_retention.settings import RetentionSettings
from guichet_retention.store import store_epoch

__all__ = ["SPEC", "RetentionDeps", "bootstrap", "build", "clock_of", "deps_of", "rules_of"]

TOPIC = RETENTION_TOPIC


async def bootstrap(runtime: Runtime) -> RetentionDeps:
    settings = runtime.settings
    assert isinstance(settings, RetentionSettings)
    deps = RetentionDeps(
        clock=FixedClock(settings.today) if settings.today else SystemClock(),
        rules=RetentionRules(appeal_days=settings.appeal_days),
        schedule_epoch=await store_epoch(runtime.engine),
    )
    loop = purge_loop(runtime, deps.clock, deps.rules, settings.purge_interval_seconds)
    runtime.tasks.append(asyncio.create_task(loop, name="retention-purge"))
    return deps


# Why an appeal, its end, an erasure or a rights request is refused, as the status that
# says it; the reason is the domain's own words, never the request's (STYLE 14).
PROBLEMS: dict[type[Exception], Problem] = {
    domain.UnknownDossier: Problem(404, str),
    handlers.NotScheduled: Problem(404, str),
    domain.UnknownAppeal: Problem(404, str),
    domain.NotPermitted: Problem(403, str),
    domain.AppealConflict: Problem(409, str),  # DeletionHeld too (Art. 27 §1 3°)
    domain.DossierErased: Problem(410, str),
    domain.ImplausibleDate: Problem(422, str),
    rights.RightsError: Problem(422, str),
    rights_handlers.NoSuchDossier: Problem(404, str),
    rights_handlers.NoSuchRequest: Problem(404, str),
    rights_handlers.NotThePerson: Problem(403, str),
    rights_handlers.ExportRefused: Problem(403, str),
    rights_handlers.AnswerRefused: Problem(409, str),
}

SPEC = ServiceSpec(
    name="retention",
    title="Guichet retention",
    description="Retention schedule and deletion of dossiers, and data-subject rights "
    "(cooperation agreement of 31 January 2025, Art. 27-29).",
    topic=TOPIC,
    migrations=Path(__file__).parent / "migrations" / "versions",
    routers=[router, rights_router],
    subscriptions=SUBSCRIPTIONS,
    bootstrap=bootstrap,
    follows_purges=False,
    problems=PROBLEMS,
)


def build(settings: RetentionSettings | None = None) -> FastAPI:
    return create_app(SPEC, settings or RetentionSettings())
