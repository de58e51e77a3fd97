"""Consultation's own dependencies, built once the shared stores exist (STYLE 7)."""

from __future__ import annotations

from dataclasses import dataclass

from guichet_consultation.access_log import AccessLog
from guichet_consultation.generations import Generations
from guichet_consultation.search import SearchGuard, SearchLimit
from guichet_consultation.settings import ConsultationSettings
from guichet_core.service import Runtime


@dataclass(frozen=True)
class ConsultationDeps:
    # One per service: its appends of concurrent requests are committed together.
    access_log: AccessLog
    searches: SearchGuard  # searches per caller and minute (GDPR Art. 5 §1 c, Art. 32)


def deps_of(runtime: Runtime) -> ConsultationDeps:
    deps = runtime.deps
    assert isinstance(deps, ConsultationDeps), "consultation's bootstrap has not run"
    return deps


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
