"""The bus contract, run against every adapter (embedded log and Kafka via Tansu)."""

from __future__ import annotations

import uuid

from guichet_core.kernel.bus.port import Bus, BusMessage, ReceivedMessage, Subscription


def message(topic: str, n: int, key: str = "dossier-1") -> BusMessage:
    return BusMessage(
        topic=topic,
        key=key.encode(),
        value=f'{{"n": {n}}}'.encode(),
        headers=(("ce_id", str(uuid.uuid4()).encode()), ("ce_type", b"be.guichet.test.v1")),
    )


async def read(
    subscription: Subscription, count: int, *, rounds: int = 40
) -> list[ReceivedMessage]:
    received: list[ReceivedMessage] = []
    for _ in range(rounds):
        received += await subscription.fetch(max_messages=count - len(received), timeout=0.5)
        if len(received) >= count:
            break
    return received


async def test_published_messages_arrive_in_order_with_key_and_headers(
    bus: Bus, topic: str
) -> None:
    await bus.ensure_topics([topic])
    publisher = bus.publisher()
    await publisher.start()
    sent = [message(topic, n) for n in range(5)]
    await publisher.publish(sent)
    subscription = bus.subscription(group=f"g-{uuid.uuid4().hex}", topics=[topic])
    await subscription.start()
    try:
        received = await read(subscription, 5)
    finally:
        await subscription.stop()
        await publisher.stop()
    assert [r.message.value for r in received] == [m.value for m in sent]
    assert received[0].message.key == b"dossier-1"
    assert received[0].message.header("ce_type") == b"be.guichet.test.v1"
    assert [r.offset for r in received] == sorted(r.offset for r in received)


async def test_a_batch_over_two_topics_keeps_each_topics_order(bus: Bus, topic: str) -> None:
    other = topic + "-other"
    await bus.ensure_topics([topic, other])
    publisher = bus.publisher()
    await publisher.start()
    sent = [message(topic if n % 3 else other, n) for n in range(250)]  # interleaved
    await publisher.publish(sent)
    received: dict[str, list[bytes]] = {}
    try:
        for name in (topic, other):
            subscription = bus.subscription(group=f"g-{uuid.uuid4().hex}", topics=[name])
            await subscription.start()
            try:
                expected = [m for m in sent if m.topic == name]
                got = await read(subscription, len(expected))
                received[name] = [r.message.value for r in got]
                assert [r.offset for r in got] == sorted({r.offset for r in got})
            finally:
                await subscription.stop()
    finally:
        await publisher.stop()
    for name in (topic, other):
        assert received[name] == [m.value for m in sent if m.topic == name]


async def test_a_group_resumes_after_its_last_committed_offset(bus: Bus, topic: str) -> None:
    await bus.ensure_topics([topic])
    publisher = bus.publisher()
    await publisher.start()
    await publisher.publish([message(topic, n) for n in range(4)])
    group = f"g-{uuid.uuid4().hex}"
    first = bus.subscription(group=group, topics=[topic])
    await first.start()
    received = await read(first, 4)
    await first.commit(received[1])  # the first two are done, the rest are not
    await first.stop()

    again = bus.subscription(group=group, topics=[topic])
    await again.start()
    try:
        resumed = await read(again, 2)
    finally:
        await again.stop()
        await publisher.stop()
    assert [r.message.value for r in resumed] == [b'{"n": 2}', b'{"n": 3}']


async def test_a_new_group_replays_from_the_beginning(bus: Bus, topic: str) -> None:
    await bus.ensure_topics([topic])
    publisher = bus.publisher()
    await publisher.start()
    await publisher.publish([message(topic, n, key=f"dossier-{n % 2}") for n in range(6)])
    old = bus.subscription(group=f"g-{uuid.uuid4().hex}", topics=[topic])
    await old.start()
    for received in await read(old, 6):
        await old.commit(received)
    await old.stop()

    replay = bus.subscription(group=f"g-{uuid.uuid4().hex}", topics=[topic])
    await replay.start()
    try:
        everything = await read(replay, 6)
    finally:
        await replay.stop()
        await publisher.stop()
    assert len(everything) == 6
    for key in (b"dossier-0", b"dossier-1"):  # per application, the order is kept
        values = [r.message.value for r in everything if r.message.key == key]
        assert values == sorted(values)


async def test_a_subscription_to_a_topic_with_nothing_yet_sees_later_messages(
    bus: Bus, topic: str
) -> None:
    await bus.ensure_topics([topic])
    subscription = bus.subscription(group=f"g-{uuid.uuid4().hex}", topics=[topic])
    await subscription.start()
    publisher = bus.publisher()
    await publisher.start()
    try:
        assert await subscription.fetch(timeout=0.2) == []
        await publisher.publish([message(topic, 7)])
        received = await read(subscription, 1)
    finally:
        await subscription.stop()
        await publisher.stop()
    assert [r.message.value for r in received] == [b'{"n": 7}']


async def test_a_bus_is_closed_through_the_port_and_closing_twice_is_harmless(
    bus: Bus, topic: str
) -> None:
    # Whoever opened a bus closes it through the port, whatever the adapter: no caller
    # has to ask whether this one happens to have a close().
    await bus.ensure_topics([topic])
    await bus.close()
    await bus.close()
