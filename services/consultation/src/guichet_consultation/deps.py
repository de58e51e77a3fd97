"""Consultation's own dependencies (what ``bootstrap`` builds), and how routes reach them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from guichet_consultation.access_log import AccessLog
from guichet_consultation.search import SearchGuard
from guichet_core.deps import service_deps
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


ConsultationDepsDep = Annotated[ConsultationDeps, Depends(service_deps(ConsultationDeps))]
