"""Retention's own dependencies (what ``bootstrap`` builds), and how routes reach them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from guichet_core.deps import service_deps
from guichet_core.service import Runtime
from guichet_retention.clock import Clock
from guichet_retention.schedule import RetentionRules


@dataclass(frozen=True)
class RetentionDeps:
    clock: Clock  # a fixed day in tests and demos (GUICHET_RETENTION_TODAY)
    rules: RetentionRules  # the appeal period of Art. 27 §1 3°
    # The schedule store's epoch: a store made anew gets a new consumer group, which
    # replays the whole log into it.
    schedule_epoch: str


def deps_of(runtime: Runtime) -> RetentionDeps:
    deps = runtime.deps
    assert isinstance(deps, RetentionDeps), "retention's bootstrap has not run"
    return deps


def clock_of(runtime: Runtime) -> Clock:
    return deps_of(runtime).clock


def rules_of(runtime: Runtime) -> RetentionRules:
    return deps_of(runtime).rules


RetentionDepsDep = Annotated[RetentionDeps, Depends(service_deps(RetentionDeps))]
