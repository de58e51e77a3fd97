"""The one retry policy: exponential backoff, capped, for every loop that waits out a fault.

The relay, the consumer (its poll loop, a failing handler, a dead letter that cannot be
published yet) and the notification dispatcher (its loop, and a row whose delivery
failed, whose attempts are counted in the database) all wait the same way. A library
(stamina, tenacity) would cover the loops but not the row retried across restarts,
whose next attempt is a date computed from a stored count; this module is small enough
to read at a glance and serves both.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from guichet_core.kernel.scrub import describe

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Backoff:
    """Wait ``first`` seconds after the first failure, doubled after each, at most ``cap``."""

    first: float = 0.5
    cap: float = 10.0

    def delay(self, failures: int) -> float:
        """How long to wait after ``failures`` failures in a row (1 for the first)."""
        return min(self.first * 2.0 ** min(max(failures - 1, 0), 30), self.cap)


async def retrying(
    operation: Callable[[], Awaitable[T]],
    *,
    backoff: Backoff,
    log: logging.Logger,
    what: str,
    attempts: int | None = None,
    endless_if: Callable[[Exception], bool] | None = None,
    on_failure: Callable[[Exception], None] | None = None,
) -> T:
    """Run ``operation`` until it succeeds; after ``attempts`` failures (never, if None)
    the last error is raised, except a failure ``endless_if`` says to wait out (the
    infrastructure's, not the work's: it never counts). Each failure is logged as
    ``describe`` shows it: never a value the operation was given."""
    failures = counted = 0
    while True:
        try:
            return await operation()
        except Exception as error:
            failures += 1
            if endless_if is None or not endless_if(error):
                counted += 1
            if on_failure is not None:
                on_failure(error)
            if attempts is not None and counted >= attempts:
                raise
            delay = backoff.delay(failures)
            log.warning("%s failed, retrying in %.1fs: %s", what, delay, describe(error))
            await asyncio.sleep(delay)
