"""A broker outage loses nothing: events appended while Kafka is unreachable stay in
the outbox, the relay retries with backoff, and once the broker is back each event is
delivered, and applied by a consumer, exactly once."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from guichet_contracts import ApplicationFiled, CloudEventEnvelope, DomainEvent
from guichet_contracts.events import ApplicantCategory, ApplicationKind, FilerRole
from guichet_core.kernel.bus.kafka import KafkaBus
from guichet_core.kernel.codec import new_event
from guichet_core.kernel.consumer import EventConsumer
from guichet_core.kernel.relay import OutboxRelay
from guichet_core.kernel.store.database import DatabaseConfig, create_engine, migrate
from guichet_core.kernel.store.sql import SqlEventStore, UnitOfWork, event_store_for
from guichet_core.testing.broker import free_port, start_tansu, stop_process
from guichet_core.testing.proxy import KafkaProxy

from .support import eventually


@pytest.fixture
async def proxied_broker() -> AsyncIterator[KafkaProxy]:
    """A Tansu broker that advertises a proxy's address: cutting the proxy is an outage."""
    broker_port, proxy_port = free_port(), free_port()
    process = start_tansu(broker_port, advertised_port=proxy_port)
    proxy = KafkaProxy(broker_port, listen_port=proxy_port)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.stop()
        stop_process(process)


@pytest.fixture
async def store(postgres_url: str, pg_namespace: str) -> AsyncIterator[SqlEventStore]:
    config = DatabaseConfig(url=postgres_url, schema=pg_namespace + "intake")
    engine = create_engine(config)
    await migrate(engine, config, version_locations=[])
    yield event_store_for(engine, source="/guichet/intake")
    await engine.dispose()


def filed() -> ApplicationFiled:
    return ApplicationFiled(
        application_id=uuid.uuid4(),
        kind=ApplicationKind.WORK_AUTHORISATION,
        category=ApplicantCategory.SEASONAL_WORKER,
        competent_authority="WAL",
        workplace_postcode="5000",
        filed_by=FilerRole.EMPLOYER,
        filed_at=datetime.now(UTC),
    )


async def test_events_filed_during_an_outage_are_delivered_once_each_after_it(
    proxied_broker: KafkaProxy, store: SqlEventStore
) -> None:
    topic = f"guichet.intake.v1.{uuid.uuid4().hex[:8]}"
    bus = KafkaBus(proxied_broker.address, client_id="intake")
    await bus.ensure_topics([topic])
    publisher = bus.publisher()
    await publisher.start()
    relay = OutboxRelay(store, publisher, idle=0.05, first_retry=0.05, max_backoff=0.5)
    relay_task = asyncio.create_task(relay.run())

    before = filed()
    await store.append(
        str(before.application_id), [new_event(before)], expected_version=0, publish_to=topic
    )
    relay.wake()

    async def outbox_empty() -> bool:
        return await store.outbox_backlog() == 0

    await eventually(outbox_empty, "the first event is published")

    await proxied_broker.cut()
    during = [filed() for _ in range(5)]
    for event in during:
        await store.append(
            str(event.application_id), [new_event(event)], expected_version=0, publish_to=topic
        )
        relay.wake()

    async def relay_failed() -> bool:
        return relay.failures > 0

    await eventually(relay_failed, "the relay notices the outage")
    assert await store.outbox_backlog() == 5  # kept, not lost

    await proxied_broker.restore()
    await eventually(outbox_empty, "the relay delivers the backlog after the outage", seconds=60)
    relay_task.cancel()
    await asyncio.gather(relay_task, return_exceptions=True)
    await publisher.stop()

    applied: list[uuid.UUID] = []

    async def apply(event: DomainEvent, _: CloudEventEnvelope, __: UnitOfWork) -> None:
        applied.append(event.application_id)

    group = f"region-{uuid.uuid4().hex[:8]}"
    subscription = bus.subscription(group=group, topics=[topic])
    await subscription.start()
    dead_letters = bus.publisher()
    consumer = EventConsumer(
        group=group,
        subscription=subscription,
        store=store,
        handlers={ApplicationFiled.event_type: apply},
        dead_letters=dead_letters,
    )
    for _ in range(60):
        await consumer.poll(timeout=0.5)
        if len(applied) >= 6:
            await consumer.poll(timeout=1.0)  # anything more (a duplicate) would show now
            break
    await subscription.stop()
    expected = [before.application_id, *(e.application_id for e in during)]
    assert applied == expected  # every event, once, in order
    assert consumer.stats.dead_lettered == 0
    assert consumer.stats.duplicates == 0  # and the relay sent none twice
