"""Idempotent consumption: each event is applied once, whatever the log redelivers.

For every message: decode it, then in ONE transaction record ``(consumer, event id)`` as
processed and apply the handler's effect; only after that commit is the offset
committed. A redelivered message finds its record and is skipped. A fetched batch is
first applied in one transaction (a backlog then pays one commit, not one per message);
if anything in it fails, none of it is kept and its messages are applied one by one.
A message that cannot be decoded, or whose handler still fails after retries, is
published to the dead-letter topic with the error, its offset committed, and the
consumer goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from opentelemetry import trace

from guichet_contracts import REGISTRY, CloudEventEnvelope, DomainEvent
from guichet_core.kernel.bus.port import BusMessage, Publisher, ReceivedMessage, Subscription
from guichet_core.kernel.codec import UndecodableMessage, to_domain, to_envelope
from guichet_core.kernel.faults import is_transient
from guichet_core.kernel.retry import Backoff, retrying
from guichet_core.kernel.scrub import describe, error_type
from guichet_core.kernel.store.sql import SqlEventStore, UnitOfWork
from guichet_core.kernel.tracing import context_of

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

Handler = Callable[[DomainEvent, CloudEventEnvelope, UnitOfWork], Awaitable[None]]


def dead_letter_topic(group: str) -> str:
    return f"guichet.dead-letter.{group}"


@dataclass
class ConsumerStats:
    handled: int = 0
    duplicates: int = 0
    ignored: int = 0
    dead_lettered: int = 0


@dataclass(frozen=True, slots=True)
class _Work:
    """A decoded message and the handler it goes to."""

    received: ReceivedMessage
    envelope: CloudEventEnvelope
    event: DomainEvent
    handler: Handler


class EventConsumer:
    """Runs one consumer group of one service over its subscription."""

    def __init__(
        self,
        *,
        group: str,
        subscription: Subscription,
        store: SqlEventStore,
        handlers: Mapping[str, Handler],
        dead_letters: Publisher,
        max_attempts: int = 3,
        retry_delay: float = 0.2,
        commit_interval: float = 1.0,
        on_commit: Callable[[], None] | None = None,
    ) -> None:
        self.group = group
        self.subscription = subscription
        self._store = store
        self._handlers = handlers
        self._dead_letters = dead_letters
        self._max_attempts = max_attempts
        self._handler_backoff = Backoff(first=retry_delay, cap=10.0)
        self._outage_backoff = Backoff(first=0.5, cap=10.0)
        # Called after each transaction that applied messages: what a handler queued
        # (events, notifications) leaves at once instead of waiting for a poll.
        self._on_commit = on_commit
        self.stats = ConsumerStats()
        self.last_error: str | None = None
        # Offsets are committed at most once per interval, and whenever the log is quiet:
        # a commit is a broker round trip (a durable write on the embedded log), and what
        # a crash leaves uncommitted is redelivered and recognised as duplicates.
        self._commit_interval = commit_interval
        self._uncommitted: dict[tuple[str, int], ReceivedMessage] = {}
        self._committed_at = time.monotonic()

    async def run(self) -> None:
        """Poll forever. A broker outage (fetch or offset commit failing) is waited out:
        nothing is skipped, and what was applied but not committed is redelivered and
        recognised as a duplicate."""
        try:
            while True:
                await retrying(
                    self.poll,
                    backoff=self._outage_backoff,
                    log=log,
                    what=self.group,
                    on_failure=self._failed,
                )
        finally:
            # Stopping: leave the offsets where the work is, if the broker answers soon.
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(self.commit_pending(), 2.0)

    def _failed(self, error: Exception) -> None:
        self.last_error = error_type(error)

    async def poll(self, *, timeout: float = 0.5) -> int:
        """Fetch and process one batch; return how many messages it held."""
        batch = await self.subscription.fetch(max_messages=100, timeout=timeout)
        if len(batch) < 2 or not await self._apply_together(batch):
            for received in batch:
                await self._handle(received)
        for received in batch:
            self._uncommitted[(received.message.topic, received.partition)] = received
        due = time.monotonic() - self._committed_at >= self._commit_interval
        if self._uncommitted and (due or not batch):
            await self.commit_pending()
        return len(batch)

    async def commit_pending(self) -> None:
        """Commit the offset after the last message handled in each partition."""
        for key, received in list(self._uncommitted.items()):
            await self.subscription.commit(received)
            if self._uncommitted.get(key) is received:
                del self._uncommitted[key]
        self._committed_at = time.monotonic()

    async def process(self, received: ReceivedMessage) -> None:
        """Apply one message, then commit its offset."""
        await self._handle(received)
        await self.subscription.commit(received)

    def _decode(self, received: ReceivedMessage) -> _Work | None:
        """The message's work, or None for a type this service does not need. Raises
        ``UndecodableMessage``."""
        envelope = to_envelope(received.message)
        # By the type the payload is read as: a superseded version still in flight (a
        # v1 filing after v2 is out) is upcast and handled, never ignored.
        handler = self._handlers.get(REGISTRY.current_type(envelope.type, envelope.schemaversion))
        if handler is None:
            return None
        return _Work(received, envelope, to_domain(envelope), handler)

    async def _apply_together(self, batch: list[ReceivedMessage]) -> bool:
        """Apply a whole batch in ONE transaction (one BEGIN and one durable COMMIT for
        all, where a backlog would otherwise pay them per message). All or nothing: if
        any message does not decode or its handler fails, nothing of the batch is kept
        and the caller applies the messages one by one, with retries and dead letters."""
        try:
            decoded = [self._decode(received) for received in batch]
        except UndecodableMessage:
            return False
        work = [item for item in decoded if item is not None]
        try:
            await self._apply(work)
        except Exception as error:
            log.info(
                "%s: a batch of %d failed as a whole (%s): one by one",
                self.group,
                len(batch),
                describe(error),
            )
            return False
        self.stats.ignored += len(batch) - len(work)
        return True

    async def _handle(self, received: ReceivedMessage) -> None:
        """Apply one message, retried; dead-letter it if it cannot be decoded or its
        handler still fails after ``max_attempts``."""
        try:
            work = self._decode(received)
        except UndecodableMessage as error:
            await self._dead_letter(received, describe(error))
            return
        if work is None:
            self.stats.ignored += 1  # a type this service does not need
            return
        try:
            await retrying(
                lambda: self._apply([work]),
                backoff=self._handler_backoff,
                log=log,
                what=f"{self.group}: event {work.envelope.id}",
                attempts=self._max_attempts,
                # The database or the network away is waited out, however long: the
                # message is fine, and dead-lettering it would lose it for this service.
                endless_if=is_transient,
            )
        except Exception as error:
            await self._dead_letter(received, describe(error))  # why, never with what

    async def _apply(self, work: list[_Work]) -> None:
        """Apply messages in ONE transaction: each is recorded as processed by this group
        and, the first time only, handed to its handler."""
        handled = duplicates = 0
        async with self._store.unit_of_work() as uow:
            for item in work:
                with self._span(item.received):
                    first_time = await uow.mark_processed(
                        consumer=self.group,
                        event_id=str(item.envelope.id),
                        topic=item.received.message.topic,
                    )
                    if first_time:
                        await item.handler(item.event, item.envelope, uow)
                handled, duplicates = handled + first_time, duplicates + (not first_time)
        self.stats.handled += handled
        self.stats.duplicates += duplicates
        if handled and self._on_commit is not None:
            self._on_commit()

    def _span(self, received: ReceivedMessage) -> Any:
        message = received.message
        return tracer.start_as_current_span(
            f"{message.topic} process",
            context=context_of(message),
            kind=trace.SpanKind.CONSUMER,
            attributes={
                "messaging.system": "kafka",
                "messaging.destination.name": message.topic,
                "messaging.consumer.group.name": self.group,
                "messaging.kafka.offset": received.offset,
            },
        )

    async def _dead_letter(self, received: ReceivedMessage, error: str) -> None:
        message = received.message
        headers = (
            *message.headers,
            ("dlq_error", error[:2000].encode()),
            ("dlq_original_topic", message.topic.encode()),
            ("dlq_original_partition", str(received.partition).encode()),
            ("dlq_original_offset", str(received.offset).encode()),
            ("dlq_consumer_group", self.group.encode()),
        )
        letter = BusMessage(
            topic=dead_letter_topic(self.group),
            key=message.key,
            value=message.value,
            headers=headers,
        )
        # The offset is not committed until the letter is safely out.
        await retrying(
            lambda: self._dead_letters.publish([letter]),
            backoff=self._handler_backoff,
            log=log,
            what=f"{self.group}: dead-letter publish",
        )
        self.stats.dead_lettered += 1
        log.error(
            "%s: message at %s/%d dead-lettered: %s",
            self.group,
            message.topic,
            received.offset,
            error,
        )
