"""Retention's own dependencies, built once the shared stores exist (STYLE 7)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from guichet_core.service import Runtime
from guichet_retention import handlers
from guichet_retention.clock import Clock, FixedClock, SystemClock
from guichet_retention.schedule import RetentionRules
from guichet_retention.settings import RetentionSettings
from guichet_retention.store import store_epoch


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


async def bootstrap(runtime: Runtime) -> RetentionDeps:
    settings = runtime.settings
    assert isinstance(settings, RetentionSettings)
    deps = RetentionDeps(
        clock=FixedClock(settings.today) if settings.today else SystemClock(),
        rules=RetentionRules(appeal_days=settings.appeal_days),
        schedule_epoch=await store_epoch(runtime.engine),
    )
    loop = handlers.purge_loop(runtime, deps.clock, deps.rules, settings.purge_interval_seconds)
    runtime.tasks.append(asyncio.create_task(loop, name="retention-purge"))
    return deps
