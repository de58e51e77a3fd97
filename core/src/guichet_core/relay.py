"""The outbox relay: publishes queued events in order, and never loses one.

Rows are marked published only after the broker acknowledged them. If the broker is
down the batch stays queued and the relay retries with exponential backoff; a crash
between the acknowledgment and the mark republishes the batch, which consumers
deduplicate by event id (at least once, applied once).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta

from opentelemetry import trace

from guichet_core.bus.port import Publisher
from guichet_core.scrub import error_type
from guichet_core.store.sql import SqlEventStore

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)


class OutboxRelay:
    def __init__(
        self,
        store: SqlEventStore,
        publisher: Publisher,
        *,
        batch_size: int = 500,
        poll_interval: float = 0.25,
        max_backoff: float = 10.0,
        keep_published: timedelta = timedelta(days=1),
    ) -> None:
        self._store = store
        self._publisher = publisher
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._max_backoff = max_backoff
        self._keep_published = keep_published
        self._wakeup = asyncio.Event()
        self.published = 0
        self.failures = 0
        self.last_error: str | None = None

    def wake(self) -> None:
        """Called after a commit that queued events, so they leave without waiting a poll."""
        self._wakeup.set()

    async def publish_pending(self) -> int:
        """Publish one batch; return how many went out. Raises ``BusUnavailable``."""
        async with self._store.claim_outbox(self._batch_size) as batch:
            if not batch.messages:
                return 0
            with tracer.start_as_current_span("outbox publish") as span:
                span.set_attribute("messaging.batch.message_count", len(batch.messages))
                await self._publisher.publish(batch.messages)
            await batch.mark_published()
        self.published += len(batch.ids)
        return len(batch.ids)

    async def drain(self) -> int:
        """Publish until the outbox is empty (used at shutdown and in tests)."""
        total = 0
        while sent := await self.publish_pending():
            total += sent
        return total

    async def run(self) -> None:
        backoff = self._poll_interval
        last_purge = datetime.now(UTC)
        while True:
            # Cleared before the claim, not after: a commit that lands while a batch is
            # being published wakes the next round instead of waiting out the poll.
            self._wakeup.clear()
            try:
                sent = await self.publish_pending()
                backoff = self._poll_interval
                self.last_error = None
            except Exception as error:  # broker down (BusUnavailable) or database hiccup
                self.failures += 1
                self.last_error = error_type(error)
                log.warning(
                    "outbox relay: broker unavailable, retrying in %.1fs: %s", backoff, error
                )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff)
                continue
            if sent >= self._batch_size:
                continue  # a full batch: more is waiting
            if datetime.now(UTC) - last_purge > timedelta(minutes=10):
                last_purge = datetime.now(UTC)
                await self._store.purge_published(before=last_purge - self._keep_published)
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation
            # that races with the wake-up, and the relay would never stop.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._poll_interval):
                    await self._wakeup.wait()
