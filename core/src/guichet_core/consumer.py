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

from guichet_contracts import CloudEventEnvelope, DomainEvent
from guichet_core.bus.port import BusMessage, Publisher, ReceivedMessage, Subscription
from guichet_core.codec import UndecodableMessage, to_domain, to_envelope
from guichet_core.scrub import describe, error_type
from guichet_core.store.sql import SqlEventStore, UnitOfWork
from guichet_core.tracing import context_of

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
    ) -> None:
        self.group = group
        self.subscription = subscription
        self._store = store
        self._handlers = handlers
        self._dead_letters = dead_letters
        self._max_attempts = max_attempts
        self._retry_delay = retry_delay
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
        backoff = 0.5
        try:
            while True:
                try:
                    await self.poll()
                    backoff = 0.5
                except Exception as error:
                    self.last_error = error_type(error)
                    log.warning("%s: %s; retrying in %.1fs", self.group, self.last_error, backoff)
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 10.0)
        finally:
            # Stopping: leave the offsets where the work is, if the broker answers soon.
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(self.commit_pending(), 2.0)

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

    async def _apply_together(self, batch: list[ReceivedMessage]) -> bool:
        """Apply a whole batch in ONE transaction (one BEGIN and one durable COMMIT for
        all, where a backlog would otherwise pay them per message). All or nothing: if
        any message does not decode or its handler fails, nothing of the batch is kept
        and the caller applies the messages one by one, with retries and dead letters."""
        work: list[tuple[ReceivedMessage, CloudEventEnvelope, DomainEvent, Handler]] = []
        ignored = 0
        try:
            for received in batch:
                envelope = to_envelope(received.message)
                handler = self._handlers.get(envelope.type)
                if handler is None:
                    ignored += 1
                else:
                    work.append((received, envelope, to_domain(envelope), handler))
        except UndecodableMessage:
            return False
        handled = duplicates = 0
        try:
            async with self._store.unit_of_work() as uow:
                for received, envelope, event, handler in work:
                    with self._span(received):
                        first_time = await uow.mark_processed(
                            consumer=self.group, event_id=str(envelope.id),
                            topic=received.message.topic,
                        )  # fmt: skip
                        if first_time:
                            await handler(event, envelope, uow)
                    handled, duplicates = handled + first_time, duplicates + (not first_time)
        except Exception as error:
            log.info("%s: a batch of %d failed as a whole (%r): one by one",
                     self.group, len(batch), error)  # fmt: skip
            return False
        self.stats.handled += handled
        self.stats.duplicates += duplicates
        self.stats.ignored += ignored
        return True

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

    async def process(self, received: ReceivedMessage) -> None:
        """Apply one message, then commit its offset."""
        await self._handle(received)
        await self.subscription.commit(received)

    async def _handle(self, received: ReceivedMessage) -> None:
        with self._span(received):
            error = await self._apply(received.message)
            if error is not None:
                await self._dead_letter(received, error)

    async def _apply(self, message: BusMessage) -> str | None:
        """Apply the message once; return an error text if it must be dead-lettered."""
        try:
            envelope = to_envelope(message)
            handler = self._handlers.get(envelope.type)
            if handler is None:
                self.stats.ignored += 1  # a type this service does not need
                return None
            event = to_domain(envelope)
        except UndecodableMessage as error:
            return describe(error)
        for attempt in range(1, self._max_attempts + 1):
            try:
                async with self._store.unit_of_work() as uow:
                    first_time = await uow.mark_processed(
                        consumer=self.group, event_id=str(envelope.id), topic=message.topic
                    )
                    if first_time:
                        await handler(event, envelope, uow)
                if first_time:
                    self.stats.handled += 1
                else:
                    self.stats.duplicates += 1
                return None
            except Exception as error:
                log.warning(
                    "%s: attempt %d on %s failed: %r", self.group, attempt, envelope.id, error
                )
                if attempt == self._max_attempts:
                    return describe(error)  # the dead letter says why, never with what
                await asyncio.sleep(self._retry_delay * attempt)
        return None

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
        delay = self._retry_delay
        while True:  # the offset is not committed until the letter is safely out
            try:
                await self._dead_letters.publish([letter])
                break
            except Exception as failure:
                log.warning("%s: dead-letter publish failed, retrying: %r", self.group, failure)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
        self.stats.dead_lettered += 1
        log.error(
            "%s: message at %s/%d dead-lettered: %s",
            self.group,
            message.topic,
            received.offset,
            error,
        )
