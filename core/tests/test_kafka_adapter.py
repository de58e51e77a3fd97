"""The Kafka adapter against a real Kafka-protocol broker (Tansu unless Docker/$KAFKA_BOOTSTRAP)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from guichet_core.kernel.bus.kafka import KafkaBus, KafkaPublisher, KafkaSubscription
from guichet_core.kernel.bus.port import BusMessage, BusUnavailable, ReceivedMessage
from guichet_core.testing.broker import (
    free_port,
    kafka_bootstrap_for_tests,
    start_tansu,
    stop_process,
)
from guichet_core.testing.proxy import KafkaProxy

pytestmark = pytest.mark.kafka


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    with kafka_bootstrap_for_tests() as bootstrap:
        yield bootstrap


@pytest.fixture
def bus(kafka_bootstrap: str) -> KafkaBus:
    return KafkaBus(kafka_bootstrap, client_id="guichet-tests")


@pytest.fixture
async def proxied() -> AsyncIterator[tuple[KafkaProxy, KafkaBus]]:
    """A private Tansu that advertises a proxy's port, so the test can cut the network."""
    broker_port = free_port()
    proxy = KafkaProxy(broker_port)
    await proxy.start()
    proc = start_tansu(broker_port, proxy.port)
    try:
        yield proxy, KafkaBus(proxy.address, client_id="guichet-tests")
    finally:
        await proxy.stop()
        stop_process(proc)


def topic_name() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


def message(topic: str, n: int, key: bytes = b"app-1") -> BusMessage:
    return BusMessage(
        topic=topic,
        value=f'{{"n": {n}}}'.encode(),
        key=key,
        headers=(("ce_type", b"be.guichet.test"), ("ce_id", f"id-{n}".encode())),
    )


async def fetch_n(sub: KafkaSubscription, n: int, *, within: float = 30.0) -> list[ReceivedMessage]:
    got: list[ReceivedMessage] = []
    deadline = time.monotonic() + within
    while len(got) < n:
        assert time.monotonic() < deadline, f"only {len(got)} of {n} messages in {within}s"
        got.extend(await sub.fetch(timeout=0.5))
    return got


async def started_publisher(bus: KafkaBus) -> KafkaPublisher:
    publisher = bus.publisher()
    await publisher.start()
    return publisher


async def test_roundtrip_keeps_key_headers_and_order(bus: KafkaBus) -> None:
    topic = topic_name()
    await bus.ensure_topics([topic])
    await bus.ensure_topics([topic])  # idempotent
    publisher = await started_publisher(bus)
    sent = [message(topic, n) for n in range(3)]
    await publisher.publish(sent)
    sub = bus.subscription(group=f"g-{uuid.uuid4().hex}", topics=[topic])
    await sub.start()
    try:
        got = await fetch_n(sub, 3)
        assert [r.message for r in got] == sent
        assert got[0].message.header("ce_id") == b"id-0"
        assert [r.offset for r in got] == [0, 1, 2]
        assert len({r.partition for r in got}) == 1  # same key, same partition
        await sub.commit(got[-1])
        assert await sub.fetch(timeout=0.3) == []
    finally:
        await sub.stop()
        await publisher.stop()


async def test_group_resumes_after_commit_and_new_group_reads_all(bus: KafkaBus) -> None:
    topic, group = topic_name(), f"g-{uuid.uuid4().hex}"
    await bus.ensure_topics([topic])
    publisher = await started_publisher(bus)
    await publisher.publish([message(topic, n) for n in range(3)])

    first = bus.subscription(group=group, topics=[topic])
    await first.start()
    got = await fetch_n(first, 3)
    await first.commit(got[1])  # 0 and 1 done, 2 not
    await first.stop()

    await publisher.publish([message(topic, 3)])
    second = bus.subscription(group=group, topics=[topic])
    await second.start()
    try:
        resumed = await fetch_n(second, 2)
        assert [r.offset for r in resumed] == [2, 3]
    finally:
        await second.stop()

    fresh = bus.subscription(group=f"g-{uuid.uuid4().hex}", topics=[topic])
    await fresh.start()
    try:
        assert [r.offset for r in await fetch_n(fresh, 4)] == [0, 1, 2, 3]
    finally:
        await fresh.stop()
        await publisher.stop()


async def test_subscription_picks_up_a_topic_created_later(bus: KafkaBus) -> None:
    topic = topic_name()
    sub = bus.subscription(group=f"g-{uuid.uuid4().hex}", topics=[topic])
    await sub.start()
    publisher = await started_publisher(bus)
    try:
        assert await sub.fetch(timeout=0.2) == []
        await publisher.publish([message(topic, 0)])
        assert [r.message.value for r in await fetch_n(sub, 1)] == [b'{"n": 0}']
    finally:
        await sub.stop()
        await publisher.stop()


async def test_fetch_respects_its_timeout_while_joining(bus: KafkaBus) -> None:
    sub = bus.subscription(group=f"g-{uuid.uuid4().hex}", topics=[topic_name()])
    await sub.start()
    try:
        started = time.monotonic()
        assert await sub.fetch(timeout=0.3) == []
        assert time.monotonic() - started < 1.5
    finally:
        await sub.stop()


async def test_publish_fails_fast_during_outage_and_recovers(
    proxied: tuple[KafkaProxy, KafkaBus],
) -> None:
    proxy, bus = proxied
    topic = topic_name()
    await bus.ensure_topics([topic])
    publisher = await started_publisher(bus)
    try:
        await publisher.publish([message(topic, 0)])
        await proxy.cut()
        started = time.monotonic()
        with pytest.raises(BusUnavailable):
            await publisher.publish([message(topic, 1)])
        assert time.monotonic() - started < 8  # request_timeout_ms (5 s) + slack
        await proxy.restore()
        await publisher.publish([message(topic, 1), message(topic, 2)])  # same object

        sub = bus.subscription(group=f"g-{uuid.uuid4().hex}", topics=[topic])
        await sub.start()
        try:
            got = await fetch_n(sub, 3)
            assert [r.message.header("ce_id") for r in got] == [b"id-0", b"id-1", b"id-2"]
        finally:
            await sub.stop()
    finally:
        await publisher.stop()


async def test_subscription_survives_outage(proxied: tuple[KafkaProxy, KafkaBus]) -> None:
    proxy, bus = proxied
    topic = topic_name()
    await bus.ensure_topics([topic])
    publisher = await started_publisher(bus)
    sub = bus.subscription(group=f"g-{uuid.uuid4().hex}", topics=[topic])
    await sub.start()
    try:
        await publisher.publish([message(topic, 0)])
        first = await fetch_n(sub, 1)
        await sub.commit(first[0])

        await proxy.cut()
        started = time.monotonic()
        assert await sub.fetch(timeout=0.5) == []  # an outage is just silence for a reader
        assert time.monotonic() - started < 2
        with pytest.raises(BusUnavailable):
            await sub.commit(first[0])
        await asyncio.sleep(2)
        await proxy.restore()

        await publisher.publish([message(topic, 1)])
        later = await fetch_n(sub, 1, within=60)
        assert [r.message.header("ce_id") for r in later] == [b"id-1"]
        await sub.commit(later[0])
    finally:
        await sub.stop()
        await publisher.stop()
