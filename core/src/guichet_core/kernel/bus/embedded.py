"""The embedded durable log: the single-machine stand-in for Kafka, in one SQLite file.

Every service process of ``make run`` opens the same file (WAL mode lets them read while
one writes). Each topic is one partition with offsets from 0; consumer groups keep
their committed offsets in the file, so a restart resumes where the group stopped and
a new group replays from the beginning. Nothing is ever lost on restart: messages are
written with ``synchronous=FULL`` before ``publish`` returns.

Unlike Kafka there is no partition assignment: run one member per consumer group (the
single-machine default does).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    select,
    update,
)
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from guichet_core.kernel.bus.port import BusMessage, BusUnavailable, ReceivedMessage
from guichet_core.kernel.store.database import DatabaseConfig, create_engine
from guichet_core.kernel.store.upsert import insert_missing

_metadata = MetaData()
_topics = Table(
    "log_topics",
    _metadata,
    Column("topic", String(200), primary_key=True),
    Column("next_offset", BigInteger, nullable=False),
)
_messages = Table(
    "log_messages",
    _metadata,
    Column("topic", String(200), primary_key=True),
    Column("offset", BigInteger, primary_key=True),
    Column("message_key", LargeBinary, nullable=True),
    Column("value", LargeBinary, nullable=False),
    Column("headers", Text, nullable=False),
    Column("appended_at", DateTime(timezone=True), nullable=False),
)
_offsets = Table(
    "log_group_offsets",
    _metadata,
    Column("group_id", String(200), primary_key=True),
    Column("topic", String(200), primary_key=True),
    Column("next_offset", BigInteger, nullable=False),
    Column("partition", Integer, nullable=False, default=0),
)


class EmbeddedLog:
    """A ``Bus`` over a SQLite file (see the module docstring)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._engine: AsyncEngine | None = None
        self._lock = asyncio.Lock()

    async def engine(self) -> AsyncEngine:
        async with self._lock:
            if self._engine is None:
                engine = create_engine(DatabaseConfig(url=f"sqlite:///{self.path}"))
                async with engine.begin() as connection:
                    await connection.run_sync(_metadata.create_all)
                self._engine = engine
            return self._engine

    async def close(self) -> None:
        """Release the log's file (the engine its publishers and subscriptions share)."""
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None

    def publisher(self) -> EmbeddedPublisher:
        return EmbeddedPublisher(self)

    def subscription(
        self, *, group: str, topics: Sequence[str], max_wait: float | None = None
    ) -> EmbeddedSubscription:
        return EmbeddedSubscription(self, group=group, topics=topics, max_wait=max_wait)

    async def ensure_topics(self, topics: Sequence[str]) -> None:
        engine = await self.engine()
        async with engine.begin() as connection:
            for topic in topics:
                await connection.execute(
                    sqlite_insert(_topics)
                    .values(topic=topic, next_offset=0)
                    .on_conflict_do_nothing()
                )

    async def topics(self) -> list[str]:
        engine = await self.engine()
        async with engine.connect() as connection:
            return list((await connection.execute(select(_topics.c.topic))).scalars())


class EmbeddedPublisher:
    def __init__(self, log: EmbeddedLog) -> None:
        self._log = log

    async def start(self) -> None:
        await self._log.engine()

    async def stop(self) -> None:
        """The log's engine is shared; ``EmbeddedLog.close`` releases it."""

    async def publish(self, messages: Sequence[BusMessage]) -> None:
        if not messages:
            return
        try:
            engine = await self._log.engine()
            now = datetime.now(UTC)
            async with engine.begin() as connection:
                # Three statements a topic, whatever the number of messages: the
                # topic's offsets are taken together, in the order given.
                for topic, group in _by_topic(messages).items():
                    await insert_missing(connection, _topics, [{"topic": topic, "next_offset": 0}])
                    end = (
                        await connection.execute(
                            update(_topics)
                            .where(_topics.c.topic == topic)
                            .values(next_offset=_topics.c.next_offset + len(group))
                            .returning(_topics.c.next_offset)
                        )
                    ).scalar_one()
                    first = end - len(group)
                    # a hundred rows a statement: what a batch adds to memory stays small
                    for start in range(0, len(group), 100):
                        rows = [
                            {
                                "topic": topic,
                                "offset": first + start + n,
                                "message_key": message.key,
                                "value": message.value,
                                "headers": _encode_headers(message.headers),
                                "appended_at": now,
                            }
                            for n, message in enumerate(group[start : start + 100])
                        ]
                        await connection.execute(_messages.insert(), rows)
        except OperationalError as error:
            raise BusUnavailable(f"embedded log {self._log.path}: {error}") from error


class EmbeddedSubscription:
    def __init__(
        self,
        log: EmbeddedLog,
        *,
        group: str,
        topics: Sequence[str],
        max_wait: float | None = None,
    ) -> None:
        self._poll = 0.05 if max_wait is None else max_wait  # one read of the file per poll
        self._log = log
        self._group = group
        self._topics = list(topics)
        self._positions: dict[str, int] = {}

    async def start(self) -> None:
        engine = await self._log.engine()
        async with engine.connect() as connection:
            rows = await connection.execute(
                select(_offsets.c.topic, _offsets.c.next_offset).where(
                    _offsets.c.group_id == self._group, _offsets.c.topic.in_(self._topics)
                )
            )
            committed = {row.topic: row.next_offset for row in rows}
        self._positions = {topic: committed.get(topic, 0) for topic in self._topics}

    async def stop(self) -> None:
        self._positions = {}

    @property
    def assigned(self) -> bool:
        return bool(self._positions)  # one member per group: every topic is its own

    async def fetch(
        self, *, max_messages: int = 100, timeout: float = 0.5
    ) -> list[ReceivedMessage]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            batch = await self._read(max_messages)
            if batch or loop.time() >= deadline:
                return batch
            await asyncio.sleep(min(self._poll, max(0.0, deadline - loop.time())))

    async def _read(self, max_messages: int) -> list[ReceivedMessage]:
        engine = await self._log.engine()
        received: list[ReceivedMessage] = []
        async with engine.connect() as connection:
            for topic in self._topics:
                if len(received) >= max_messages:
                    break
                query = (
                    select(_messages)
                    .where(_messages.c.topic == topic, _messages.c.offset >= self._positions[topic])
                    .order_by(_messages.c.offset)
                    .limit(max_messages - len(received))
                )
                for row in await connection.execute(query):
                    message = BusMessage(
                        topic=row.topic,
                        key=row.message_key,
                        value=row.value,
                        headers=_decode_headers(row.headers),
                    )
                    received.append(
                        ReceivedMessage(message=message, partition=0, offset=row.offset)
                    )
                    self._positions[topic] = row.offset + 1
        return received

    async def commit(self, received: ReceivedMessage) -> None:
        engine = await self._log.engine()
        topic = received.message.topic
        async with engine.begin() as connection:
            statement = sqlite_insert(_offsets).values(
                group_id=self._group, topic=topic, partition=0, next_offset=received.offset + 1
            )
            await connection.execute(
                statement.on_conflict_do_update(
                    index_elements=[_offsets.c.group_id, _offsets.c.topic],
                    set_={"next_offset": statement.excluded.next_offset},
                )
            )


def _encode_headers(headers: Sequence[tuple[str, bytes]]) -> str:
    return json.dumps([[key, value.decode("latin-1")] for key, value in headers])


def _decode_headers(raw: str) -> tuple[tuple[str, bytes], ...]:
    return tuple((key, value.encode("latin-1")) for key, value in json.loads(raw))


def _by_topic(messages: Sequence[BusMessage]) -> dict[str, list[BusMessage]]:
    groups: dict[str, list[BusMessage]] = {}
    for message in messages:
        groups.setdefault(message.topic, []).append(message)
    return groups
