"""Idempotent consumption: applied once whatever is redelivered; poison to the dead letters."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from guichet_contracts import ApplicationFiled, CloudEventEnvelope, DomainEvent
from guichet_contracts.events import ApplicantCategory, ApplicationKind, FilerRole
from guichet_core.kernel.bus.embedded import EmbeddedLog
from guichet_core.kernel.bus.port import Bus, BusMessage, ReceivedMessage, Subscription
from guichet_core.kernel.codec import new_event
from guichet_core.kernel.consumer import EventConsumer, dead_letter_topic
from guichet_core.kernel.relay import OutboxRelay
from guichet_core.kernel.store.sql import SqlEventStore, UnitOfWork
from guichet_core.kernel.store.tables import processed_messages
from guichet_core.testing.queries import counted_queries

Stack = tuple[SqlEventStore, Bus]


def filed() -> ApplicationFiled:
    return ApplicationFiled(
        application_id=uuid.uuid4(),
        kind=ApplicationKind.SINGLE_PERMIT,
        category=ApplicantCategory.EU_BLUE_CARD,
        competent_authority="BXL",
        workplace_postcode="1000",
        filed_by=FilerRole.EMPLOYER,
        filed_at=datetime.now(UTC),
    )


class Effects:
    """A handler whose effect is an event in the consumer's own store (so it is
    written in the consumer's transaction), and that can be told to fail."""

    def __init__(self, failing: set[uuid.UUID] | None = None) -> None:
        self.failing = failing or set()
        self.calls = 0
        self.calls_for: dict[uuid.UUID, int] = {}

    async def __call__(
        self, event: DomainEvent, envelope: CloudEventEnvelope, uow: UnitOfWork
    ) -> None:
        self.calls += 1
        self.calls_for[event.application_id] = self.calls_for.get(event.application_id, 0) + 1
        await uow.append(f"seen-{event.application_id}", [new_event(event)], expected_version=0)
        if event.application_id in self.failing:
            raise RuntimeError("the handler cannot apply this event")


async def publish(store: SqlEventStore, bus: Bus, topic: str, events: list[DomainEvent]) -> None:
    for event in events:
        await store.append(
            str(event.application_id), [new_event(event)], expected_version=0, publish_to=topic
        )
    publisher = bus.publisher()
    await publisher.start()
    try:
        await OutboxRelay(store, publisher).drain()
    finally:
        await publisher.stop()


async def consume(consumer: EventConsumer, *, until: int, rounds: int = 40) -> None:
    for _ in range(rounds):
        await consumer.poll(timeout=0.5)
        stats = consumer.stats
        if stats.handled + stats.duplicates + stats.dead_lettered + stats.ignored >= until:
            return


def a_consumer(
    store: SqlEventStore, bus: Bus, subscription: Subscription, handler: Effects, group: str
) -> EventConsumer:
    publisher = bus.publisher()
    return EventConsumer(
        group=group,
        subscription=subscription,
        store=store,
        handlers={ApplicationFiled.event_type: handler},
        dead_letters=publisher,
        retry_delay=0.01,
    )


async def effects_in(store: SqlEventStore) -> int:
    return len([e async for e in store.iter_all() if e.stream_id.startswith("seen-")])


async def test_each_event_is_applied_once_and_replay_applies_nothing_again(
    stack: Stack, topic: str
) -> None:
    store, bus = stack
    await bus.ensure_topics([topic])
    await publish(store, bus, topic, [filed() for _ in range(3)])
    group = f"g-{uuid.uuid4().hex}"
    handler = Effects()
    subscription = bus.subscription(group=group, topics=[topic])
    await subscription.start()
    consumer = a_consumer(store, bus, subscription, handler, group)
    await consume(consumer, until=3)
    assert consumer.stats.handled == 3
    stored_before = await store.read_all()
    await subscription.stop()

    # The same consumer reading the whole log again from the start (offsets lost).
    replay_subscription = bus.subscription(group=f"g-{uuid.uuid4().hex}", topics=[topic])
    await replay_subscription.start()
    replay = a_consumer(store, bus, replay_subscription, handler, group)
    await consume(replay, until=3)
    await replay_subscription.stop()
    assert replay.stats.duplicates == 3 and replay.stats.handled == 0
    assert handler.calls == 3
    assert await effects_in(store) == 3
    assert len(await store.read_all()) == len(stored_before)


class CrashBeforeOffsetCommit:
    """A subscription whose process 'crashes' after the database commit, before the
    offset commit: the broker will deliver the message again."""

    def __init__(self, inner: Subscription) -> None:
        self.inner = inner

    async def start(self) -> None:
        await self.inner.start()

    async def stop(self) -> None:
        await self.inner.stop()

    async def fetch(
        self, *, max_messages: int = 100, timeout: float = 0.5
    ) -> list[ReceivedMessage]:
        return await self.inner.fetch(max_messages=max_messages, timeout=timeout)

    async def commit(self, received: ReceivedMessage) -> None:
        raise ConnectionError("process killed before the offset commit")


async def test_a_message_redelivered_after_a_crash_changes_nothing(
    stack: Stack, topic: str
) -> None:
    store, bus = stack
    await bus.ensure_topics([topic])
    await publish(store, bus, topic, [filed()])
    group = f"g-{uuid.uuid4().hex}"
    handler = Effects()
    crashing = CrashBeforeOffsetCommit(bus.subscription(group=group, topics=[topic]))
    await crashing.start()
    consumer = a_consumer(store, bus, crashing, handler, group)
    try:
        batch = await crashing.fetch(timeout=5)
        for _ in range(20):
            if batch:
                break
            batch = await crashing.fetch(timeout=0.5)
        assert len(batch) == 1
        with contextlib.suppress(ConnectionError):
            await consumer.process(batch[0])
    finally:
        await crashing.stop()
    assert handler.calls == 1

    restarted = bus.subscription(group=group, topics=[topic])  # same group, nothing committed
    await restarted.start()
    after_restart = a_consumer(store, bus, restarted, handler, group)
    await consume(after_restart, until=1)
    await restarted.stop()
    assert after_restart.stats.duplicates == 1
    assert handler.calls == 1
    assert await effects_in(store) == 1
    async with store.engine.connect() as connection:
        count = select(func.count()).select_from(processed_messages)
        assert (await connection.execute(count)).scalar_one() == 1


async def test_a_poison_message_is_dead_lettered_and_the_next_one_still_processed(
    stack: Stack, topic: str
) -> None:
    store, bus = stack
    group = f"g-{uuid.uuid4().hex}"
    await bus.ensure_topics([topic, dead_letter_topic(group)])
    publisher = bus.publisher()
    await publisher.start()
    await publisher.publish(
        [
            BusMessage(
                topic=topic, key=b"x", value=b"\xff not json", headers=(("ce_type", b"nonsense"),)
            )
        ]
    )
    await publisher.stop()
    good = filed()
    await publish(store, bus, topic, [good])
    handler = Effects()
    subscription = bus.subscription(group=group, topics=[topic])
    await subscription.start()
    consumer = a_consumer(store, bus, subscription, handler, group)
    await consume(consumer, until=2)
    await subscription.stop()
    assert consumer.stats.dead_lettered == 1
    assert consumer.stats.handled == 1

    letters = bus.subscription(group=f"ops-{uuid.uuid4().hex}", topics=[dead_letter_topic(group)])
    await letters.start()
    received: list[ReceivedMessage] = []
    for _ in range(20):
        received += await letters.fetch(timeout=0.5)
        if received:
            break
    await letters.stop()
    assert len(received) == 1
    letter = received[0].message
    assert letter.value == b"\xff not json"
    assert b"not a valid Guichet CloudEvent" in (letter.header("dlq_error") or b"")
    assert letter.header("dlq_original_topic") == topic.encode()


async def test_a_handler_that_keeps_failing_is_dead_lettered_with_its_effect_rolled_back(
    stack: Stack, topic: str
) -> None:
    store, bus = stack
    group = f"g-{uuid.uuid4().hex}"
    await bus.ensure_topics([topic, dead_letter_topic(group)])
    bad, good = filed(), filed()
    await publish(store, bus, topic, [bad, good])
    handler = Effects(failing={bad.application_id})
    subscription = bus.subscription(group=group, topics=[topic])
    await subscription.start()
    consumer = a_consumer(store, bus, subscription, handler, group)
    await consume(consumer, until=2)
    await subscription.stop()
    assert consumer.stats.dead_lettered == 1 and consumer.stats.handled == 1
    # Three attempts on its own (after, when both came in one batch, the batch's own
    # attempt, rolled back as a whole).
    assert handler.calls_for[bad.application_id] >= 3
    assert await store.read_stream(f"seen-{bad.application_id}") == []
    assert len(await store.read_stream(f"seen-{good.application_id}")) == 1


async def test_a_batch_with_a_failing_message_keeps_every_other_effect_exactly_once(
    stack: Stack, topic: str
) -> None:
    """A batch is applied in one transaction; when one message fails, none of the batch
    is kept and each message is applied on its own: the others once, the bad one never."""
    store, bus = stack
    group = f"g-{uuid.uuid4().hex}"
    await bus.ensure_topics([topic, dead_letter_topic(group)])
    events = [filed() for _ in range(5)]
    bad = events[2]
    await publish(store, bus, topic, events)
    handler = Effects(failing={bad.application_id})
    subscription = bus.subscription(group=group, topics=[topic])
    await subscription.start()
    consumer = a_consumer(store, bus, subscription, handler, group)
    await consume(consumer, until=5)
    await subscription.stop()
    assert consumer.stats.handled == 4 and consumer.stats.dead_lettered == 1
    for event in events:
        expected = 0 if event is bad else 1
        assert len(await store.read_stream(f"seen-{event.application_id}")) == expected
    assert await effects_in(store) == 4
    async with store.engine.connect() as connection:
        count = select(func.count()).select_from(processed_messages)
        assert (await connection.execute(count)).scalar_one() == 4


async def test_a_backlog_is_applied_in_batches_each_event_once(stack: Stack, topic: str) -> None:
    store, bus = stack
    await bus.ensure_topics([topic])
    events = [filed() for _ in range(40)]
    await publish(store, bus, topic, events)
    group = f"g-{uuid.uuid4().hex}"
    handler = Effects()
    subscription = bus.subscription(group=group, topics=[topic])
    await subscription.start()
    consumer = a_consumer(store, bus, subscription, handler, group)
    await consume(consumer, until=40)
    await subscription.stop()
    assert consumer.stats.handled == 40
    assert handler.calls == 40  # nothing failed, so nothing was applied twice
    assert await effects_in(store) == 40


# The relay runs on the polling worker (guichet_core.kernel.worker): idle means idle.
async def test_an_idle_relay_polls_nothing_and_a_wake_publishes_at_once(
    event_store: SqlEventStore, tmp_path: Path
) -> None:
    log = EmbeddedLog(tmp_path / "bus.sqlite3")
    await log.ensure_topics(["guichet.test.v1"])
    publisher = log.publisher()
    await publisher.start()
    relay = OutboxRelay(event_store, publisher)  # the production defaults
    task = asyncio.create_task(relay.run())
    try:
        await asyncio.sleep(0.3)  # the first round, on an empty outbox
        with counted_queries(event_store.engine) as idle_queries:
            await asyncio.sleep(1.5)
        assert idle_queries == []  # no busy polling while nothing is queued

        event_ = filed()
        await event_store.append(
            str(event_.application_id),
            [new_event(event_)],
            expected_version=0,
            publish_to="guichet.test.v1",
        )
        began = time.monotonic()
        relay.wake()
        while await event_store.outbox_backlog():
            assert time.monotonic() - began < 2, "a woken relay publishes at once"
            await asyncio.sleep(0.05)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await publisher.stop()
        await log.close()
    assert relay.published == 1


async def test_what_a_handler_queues_is_relayed_at_once_not_after_the_idle_timeout(
    stack: Stack, topic: str
) -> None:
    # A consumer's commit wakes the relay, as a request's does: the relay is idle when
    # idle (5 s between rounds), yet what a handler queued leaves within a moment.
    store, bus = stack
    onward = topic + "-onward"
    await bus.ensure_topics([topic, onward])
    await publish(store, bus, topic, [filed()])
    publisher = bus.publisher()
    await publisher.start()
    relay = OutboxRelay(store, publisher)
    relay_task = asyncio.create_task(relay.run())

    async def forward(event: DomainEvent, envelope: CloudEventEnvelope, uow: UnitOfWork) -> None:
        await uow.append(
            f"onward-{envelope.id}", [new_event(event)], expected_version=0, publish_to=onward
        )

    group = f"g-{uuid.uuid4().hex}"
    subscription = bus.subscription(group=group, topics=[topic])
    await subscription.start()
    consumer = EventConsumer(
        group=group,
        subscription=subscription,
        store=store,
        handlers={ApplicationFiled.event_type: forward},
        dead_letters=publisher,
        on_commit=relay.wake,
    )
    try:
        await asyncio.sleep(0.3)  # the relay's first round is over: it idles now
        await consume(consumer, until=1)
        began = time.monotonic()
        while await store.outbox_backlog():
            assert time.monotonic() - began < 2, "the consumer's commit woke the relay"
            await asyncio.sleep(0.05)
    finally:
        relay_task.cancel()
        await asyncio.gather(relay_task, return_exceptions=True)
        await subscription.stop()
        await publisher.stop()


class FlakyDatabase(Effects):
    """A handler whose database drops the connection ``times`` times, then answers."""

    def __init__(self, times: int) -> None:
        super().__init__()
        self.times = times

    async def __call__(
        self, event: DomainEvent, envelope: CloudEventEnvelope, uow: UnitOfWork
    ) -> None:
        if self.times > 0:
            self.times -= 1
            raise ConnectionResetError("the database closed the connection")
        await super().__call__(event, envelope, uow)


async def test_a_database_away_longer_than_the_attempts_is_waited_out_not_dead_lettered(
    stack: Stack, topic: str
) -> None:
    # Issue 12 (make reliability, pg_terminate_backend): a filing dead-lettered because
    # PostgreSQL was away for a second never reached the region. Only a failure of the
    # work itself counts towards the dead letter; the infrastructure's is waited out.
    store, bus = stack
    group = f"g-{uuid.uuid4().hex}"
    await bus.ensure_topics([topic, dead_letter_topic(group)])
    event = filed()
    await publish(store, bus, topic, [event])
    handler = FlakyDatabase(times=6)  # twice the consumer's three attempts
    subscription = bus.subscription(group=group, topics=[topic])
    await subscription.start()
    consumer = a_consumer(store, bus, subscription, handler, group)
    await consume(consumer, until=1)
    await subscription.stop()
    assert consumer.stats.dead_lettered == 0 and consumer.stats.handled == 1
    assert len(await store.read_stream(f"seen-{event.application_id}")) == 1


async def test_a_superseded_version_in_flight_is_upcast_and_handled(
    stack: Stack, topic: str
) -> None:
    # Events are immutable, versioned contracts: a v1 filing published before an
    # upgrade is read as v2 and handled by v2's handler, never ignored.
    from guichet_contracts.events import ApplicationFiledV1

    store, bus = stack
    group = f"g-{uuid.uuid4().hex}"
    await bus.ensure_topics([topic, dead_letter_topic(group)])
    old = ApplicationFiledV1(
        application_id=uuid.uuid4(),
        kind=ApplicationKind.WORK_AUTHORISATION,
        category=ApplicantCategory.EU_BLUE_CARD,
        competent_authority="WAL",
        workplace_postcode="5000",
        filed_by=FilerRole.EMPLOYER,
        filed_at=datetime.now(UTC),
    )
    await publish(store, bus, topic, [old])
    handler = Effects()
    subscription = bus.subscription(group=group, topics=[topic])
    await subscription.start()
    consumer = a_consumer(store, bus, subscription, handler, group)
    await consume(consumer, until=1)
    await subscription.stop()
    assert consumer.stats.handled == 1 and consumer.stats.ignored == 0
    assert handler.calls_for == {old.application_id: 1}
