"""The Kafka adapter of the bus port (aiokafka).

Works against Apache Kafka and Tansu alike. Delivery is at least once: a failed
``publish`` raises ``BusUnavailable`` and the caller sends the same messages again, so
no idempotent producer and no transactions are needed (Tansu supports neither).

Tansu findings (0.6.0, memory storage), which shape the settings below:
* CreateTopics works (an existing topic comes back as error 36, TopicAlreadyExists, in
  the response rather than as an exception), and so does ListTopics.
* A Metadata request or a Produce auto-creates an unknown topic with 4 partitions.
* Joining a group takes about ``session_timeout_ms / 2`` (whole seconds): Tansu waits
  that long for other members. 6 s (the Kafka minimum) gives a 3 s join/rebalance.
* LeaveGroup does not free the group at once: a member joining after another left waits
  for the leaver's session to expire as well (about 11 s with a 6 s session).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError
from aiokafka.structs import TopicPartition

from guichet_core.kernel.bus.port import BusMessage, BusUnavailable, ReceivedMessage

# What a client raises when the broker is away: aiokafka's own errors, socket errors that
# escape it, and our own deadlines (asyncio.TimeoutError is TimeoutError since 3.11).
_UNAVAILABLE = (KafkaError, OSError, TimeoutError)
_TOPIC_ALREADY_EXISTS = 36


class KafkaBus:
    def __init__(
        self,
        bootstrap_servers: str,
        *,
        client_id: str = "guichet",
        request_timeout_ms: int = 5000,
        session_timeout_ms: int = 6000,
        num_partitions: int = 1,
        replication_factor: int = 1,
    ) -> None:
        self._common: dict[str, Any] = {
            "bootstrap_servers": bootstrap_servers,
            "client_id": client_id,
            # Bounded so that an outage fails within seconds instead of aiokafka's 40 s.
            "request_timeout_ms": request_timeout_ms,
        }
        self._session_timeout_ms = session_timeout_ms
        self._num_partitions = num_partitions
        self._replication_factor = replication_factor

    def publisher(self) -> KafkaPublisher:
        return KafkaPublisher(self._common)

    def subscription(
        self, *, group: str, topics: Sequence[str], max_wait: float | None = None
    ) -> KafkaSubscription:
        return KafkaSubscription(
            self._common, group, topics, self._session_timeout_ms, max_wait=max_wait
        )

    async def ensure_topics(self, topics: Sequence[str]) -> None:
        admin = AIOKafkaAdminClient(**self._common)
        try:
            async with asyncio.timeout(_deadline(self._common)):
                await admin.start()
                missing = set(topics) - set(await admin.list_topics())
                if not missing:
                    return
                # Kept for ever: rebuilds and new consumer groups replay a topic from
                # its first message (Kafka's default would drop it after 7 days).
                forever = {"retention.ms": "-1", "retention.bytes": "-1"}
                response = await admin.create_topics(
                    [
                        NewTopic(
                            t, self._num_partitions, self._replication_factor, topic_configs=forever
                        )
                        for t in missing
                    ]
                )
                for topic, code, *_ in response.topic_errors:
                    if code not in (0, _TOPIC_ALREADY_EXISTS):  # a concurrent creator won
                        raise BusUnavailable(f"cannot create topic {topic}: error {code}")
        except _UNAVAILABLE as exc:
            raise BusUnavailable(f"cannot create topics {list(topics)}: {exc!r}") from exc
        finally:
            with contextlib.suppress(*_UNAVAILABLE):
                await admin.close()

    async def close(self) -> None:
        """Nothing to release: each publisher, subscription and admin call owns its
        client, and whoever started one stops it."""


class KafkaPublisher:
    def __init__(self, common: dict[str, Any]) -> None:
        self._common = common
        self._producer: Any = None  # AIOKafkaProducer, created (again) on demand
        # One publish at a time: it keeps the order across concurrent callers and lets a
        # failed producer be replaced before anything else is sent.
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        """Connect now; raises ``BusUnavailable`` but stays usable (``publish`` reconnects)."""
        async with self._lock:
            try:
                async with asyncio.timeout(_deadline(self._common)):
                    await self._connect()
            except _UNAVAILABLE as exc:
                await self._discard()
                raise BusUnavailable(f"Kafka producer cannot connect: {exc!r}") from exc

    async def stop(self) -> None:
        async with self._lock:
            await self._discard()

    async def publish(self, messages: Sequence[BusMessage]) -> None:
        if not messages:
            return
        async with self._lock:
            try:
                async with asyncio.timeout(_deadline(self._common)):
                    producer = await self._connect()
                    # send() only queues (partitions keep their order: aiokafka has one
                    # batch in flight per partition); the returned futures are the acks.
                    acks = [
                        await producer.send(m.topic, m.value, key=m.key, headers=list(m.headers))
                        for m in messages
                    ]
                    # Wait for every outcome, so no failed ack is left unobserved.
                    for outcome in await asyncio.gather(*acks, return_exceptions=True):
                        if isinstance(outcome, BaseException):
                            raise outcome
            except _UNAVAILABLE as exc:
                # aiokafka reconnects by itself, but a fresh producer after any failure
                # is simpler to reason about: nothing of the failed batch is still
                # queued to be sent later, behind the caller's retry.
                await self._discard()
                raise BusUnavailable(f"Kafka did not acknowledge: {exc!r}") from exc

    async def _connect(self) -> Any:
        if self._producer is None:
            producer = AIOKafkaProducer(
                **self._common, acks="all", enable_idempotence=False, linger_ms=0
            )
            self._producer = producer  # set first so a failed start() gets discarded
            await producer.start()
        return self._producer

    async def _discard(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            # stop() flushes; batches expire after request_timeout_ms, so it is bounded,
            # but a dead broker must not make shutdown hang.
            with contextlib.suppress(*_UNAVAILABLE):
                await asyncio.wait_for(producer.stop(), _deadline(self._common))


class KafkaSubscription:
    def __init__(
        self,
        common: dict[str, Any],
        group: str,
        topics: Sequence[str],
        session_timeout_ms: int,
        *,
        max_wait: float | None = None,
    ) -> None:
        # Tansu holds a fetch until this wait expires rather than answering when data
        # arrives: the default 500 ms would add up to half a second per hop.
        self._fetch_max_wait_ms = round(1000 * (0.02 if max_wait is None else max_wait))
        self._common = common
        self._group = group
        self._topics = list(topics)
        self._session_timeout_ms = session_timeout_ms
        self._consumer: Any = None

    async def start(self) -> None:
        timeout_ms = self._common["request_timeout_ms"]
        consumer = AIOKafkaConsumer(
            **{
                **self._common,
                # Must outlast the rebalance timeout (= session timeout): the broker may
                # hold JoinGroup/SyncGroup that long, and a shorter client timeout makes
                # the join fail and retry forever (seen on Tansu: 5 s against 10 s).
                "request_timeout_ms": max(timeout_ms, self._session_timeout_ms + 4000),
            },
            group_id=self._group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",  # a new group reads each topic from the start
            session_timeout_ms=self._session_timeout_ms,
            heartbeat_interval_ms=max(self._session_timeout_ms // 6, 100),
            # Notice topics created after subscribing within seconds (default: 5 min).
            metadata_max_age_ms=5000,
            fetch_max_wait_ms=self._fetch_max_wait_ms,
        )
        try:
            async with asyncio.timeout(_deadline(self._common)):
                await consumer.start()
        except _UNAVAILABLE as exc:
            with contextlib.suppress(*_UNAVAILABLE):
                await asyncio.wait_for(consumer.stop(), _deadline(self._common))
            raise BusUnavailable(f"Kafka consumer cannot connect: {exc!r}") from exc
        # Subscribing after start(): passing topics to the constructor makes start() wait
        # for their metadata and fail on a broker that does not auto-create topics. This
        # way the group is joined now and a later topic is picked up on metadata refresh.
        consumer.subscribe(self._topics)
        self._consumer = consumer

    async def stop(self) -> None:
        consumer, self._consumer = self._consumer, None
        if consumer is not None:
            with contextlib.suppress(*_UNAVAILABLE):
                await asyncio.wait_for(consumer.stop(), _deadline(self._common))

    async def fetch(
        self, *, max_messages: int = 100, timeout: float = 0.5
    ) -> list[ReceivedMessage]:
        consumer = self._started()
        try:
            # getmany() blocks without limit while a (re)join is in progress, e.g. for
            # the first seconds of a group or during an outage: keep the port's promise.
            batches = await asyncio.wait_for(
                consumer.getmany(timeout_ms=int(timeout * 1000), max_records=max_messages),
                timeout + 0.2,
            )
        except TimeoutError:
            return []
        except KafkaError as exc:
            raise BusUnavailable(f"Kafka fetch failed: {exc!r}") from exc
        received: list[ReceivedMessage] = []
        for tp in sorted(batches, key=lambda tp: (tp.topic, tp.partition)):
            received.extend(
                ReceivedMessage(
                    message=BusMessage(
                        topic=r.topic,
                        value=r.value if r.value is not None else b"",
                        key=r.key,
                        headers=tuple((k, v if v is not None else b"") for k, v in r.headers),
                    ),
                    partition=r.partition,
                    offset=r.offset,
                )
                for r in batches[tp]
            )
        return received

    async def commit(self, received: ReceivedMessage) -> None:
        """Commit ``received.offset + 1`` (the next to read, in Kafka's convention).

        Raises ``BusUnavailable`` when the broker is away (aiokafka would otherwise wait
        for a coordinator forever) or the partition was reassigned meanwhile (the new
        owner will get the message again).
        """
        consumer = self._started()
        tp = TopicPartition(received.message.topic, received.partition)
        try:
            await asyncio.wait_for(
                consumer.commit({tp: received.offset + 1}), _deadline(self._common)
            )
        except _UNAVAILABLE as exc:
            raise BusUnavailable(f"Kafka commit failed: {exc!r}") from exc

    @property
    def assigned(self) -> bool:
        return self._consumer is not None and bool(self._consumer.assignment())

    def _started(self) -> Any:
        if self._consumer is None:
            raise RuntimeError("subscription not started")
        return self._consumer


def _deadline(common: dict[str, Any]) -> float:
    """Overall bound of one operation: a metadata wait plus one request, in seconds."""
    return 2 * int(common["request_timeout_ms"]) / 1000
