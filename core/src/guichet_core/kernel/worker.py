"""The one polling worker: the relay and the notification dispatcher both run on it.

A round does the work that is due and says when the next one is needed: at once (a
full batch, more is waiting), after some seconds (a retry falls due then), or only when
woken (nothing left). Idle means idle: between rounds the worker waits for ``wake()``,
called after every commit that queued work, or for ``idle`` seconds at most, the
safety net for work queued by another process. A round that fails is retried with the
platform's one backoff (``guichet_core.kernel.retry``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from guichet_core.kernel.retry import Backoff, retrying

log = logging.getLogger(__name__)

NOW = 0.0  # a round's answer: run the next round at once
IDLE = None  # a round's answer: nothing is due, wait to be woken

Round = Callable[[], Awaitable[float | None]]


class PollingWorker:
    """Runs ``round`` over and over, as its answers say (see the module docstring);
    ``on_failure`` hears of each failed round (the owner counts them for /health)."""

    def __init__(
        self,
        name: str,
        round: Round,
        *,
        idle: float,
        backoff: Backoff,
        on_failure: Callable[[Exception], None] | None = None,
    ) -> None:
        self.name = name
        self._round = round
        self._idle = idle
        self._backoff = backoff
        self._on_failure = on_failure
        self._wakeup = asyncio.Event()

    def wake(self) -> None:
        """Work was queued: run a round now instead of waiting out the idle timeout."""
        self._wakeup.set()

    async def run(self) -> None:
        while True:
            # Cleared before the round, not after: a commit that lands during a round
            # wakes the next one instead of waiting out the timeout.
            self._wakeup.clear()
            wait = await retrying(
                self._round,
                backoff=self._backoff,
                log=log,
                what=self.name,
                on_failure=self._on_failure,
            )
            if wait is not None and wait <= 0:
                continue
            timeout = self._idle if wait is None else min(wait, self._idle)
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation
            # that races with the wake-up, and the worker would never stop.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._wakeup.wait()
