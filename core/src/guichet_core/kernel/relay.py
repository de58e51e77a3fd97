"""The outbox relay: publishes queued events in order, and never loses one.

Rows are marked published only after the broker acknowledged them. If the broker is
down the batch stays queued and the relay retries with the platform's backoff; a crash
between the acknowledgment and the mark republishes the batch, which consumers
deduplicate by event id (at least once, applied once).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from opentelemetry import trace

from guichet_core.kernel.bus.port import Publisher
from guichet_core.kernel.retry import Backoff
from guichet_core.kernel.scrub import error_type
from guichet_core.kernel.store.sql import SqlEventStore
from guichet_core.kernel.worker import IDLE, NOW, PollingWorker

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)


class OutboxRelay:
    """Publishes the outbox on a ``PollingWorker``: woken by each commit that queued
    events, otherwise idle (``idle`` seconds at most, for events queued elsewhere)."""

    def __init__(
        self,
        store: SqlEventStore,
        publisher: Publisher,
        *,
        batch_size: int = 500,
        idle: float = 5.0,
        first_retry: float = 0.25,
        max_backoff: float = 10.0,
        keep_published: timedelta = timedelta(days=1),
    ) -> None:
        self._store = store
        self._publisher = publisher
        self._batch_size = batch_size
        self._keep_published = keep_published
        self._last_purge = datetime.now(UTC)
        self._worker = PollingWorker(
            "outbox relay",
            self._round,
            idle=idle,
            backoff=Backoff(first=first_retry, cap=max_backoff),
            on_failure=self._failed,
        )
        self.published = 0
        self.failures = 0
        self.last_error: str | None = None

    def wake(self) -> None:
        """Called after a commit that queued events, so they leave without waiting."""
        self._worker.wake()

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
        await self._worker.run()

    async def _round(self) -> float | None:
        sent = await self.publish_pending()  # broker down: BusUnavailable, retried
        self.last_error = None
        if sent >= self._batch_size:
            return NOW  # a full batch: more is waiting
        if datetime.now(UTC) - self._last_purge > timedelta(minutes=10):
            self._last_purge = datetime.now(UTC)
            await self._store.purge_published(before=self._last_purge - self._keep_published)
        return IDLE

    def _failed(self, error: Exception) -> None:  # broker down, or a database hiccup
        self.failures += 1
        self.last_error = error_type(error)
