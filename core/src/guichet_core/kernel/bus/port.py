"""The bus port: what a service needs from a message log, whatever carries it.

Two adapters implement it: ``KafkaBus`` (aiokafka, production) and ``EmbeddedLog``
(a SQLite file, the single-machine default). Messages are already in their wire form
(CloudEvents binary content mode: ``ce_*`` headers, key = application id, JSON value),
so both adapters carry exactly the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from guichet_core.kernel.scrub import SafeMessage


class BusUnavailable(SafeMessage):
    """The broker could not be reached or did not acknowledge; the caller retries later.
    Its message is about the broker (it is logged as it is)."""


@dataclass(frozen=True, slots=True)
class BusMessage:
    """One message as it travels: topic, partition key, value and headers."""

    topic: str
    value: bytes
    key: bytes | None = None
    headers: tuple[tuple[str, bytes], ...] = field(default=())

    def header(self, name: str) -> bytes | None:
        for key, value in self.headers:
            if key == name:
                return value
        return None


@dataclass(frozen=True, slots=True)
class ReceivedMessage:
    """A message read from the log, with where it sits, so its offset can be committed."""

    message: BusMessage
    partition: int
    offset: int


class Publisher(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def publish(self, messages: Sequence[BusMessage]) -> None:
        """Deliver ``messages`` in order and return once the log acknowledged every one.

        Raises ``BusUnavailable`` when any was not acknowledged: the caller keeps them
        and tries again (delivery is at least once; consumers deduplicate).
        """
        ...


class Subscription(Protocol):
    """A member of a consumer group reading some topics.

    A new group starts from the beginning of each topic; a known group resumes after
    its last committed offset. Nothing is committed implicitly.
    """

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def fetch(
        self, *, max_messages: int = 100, timeout: float = 0.5
    ) -> list[ReceivedMessage]:
        """The next messages (none after ``timeout`` seconds), in log order per partition."""
        ...

    async def commit(self, received: ReceivedMessage) -> None:
        """Record that ``received`` and everything before it in its partition is done."""
        ...

    @property
    def assigned(self) -> bool:
        """Whether the group has given this member its partitions: until then an empty
        fetch says nothing about the log (joining a group takes seconds on Kafka)."""
        ...


class Bus(Protocol):
    """Factory of publishers and subscriptions over one log."""

    def publisher(self) -> Publisher: ...

    def subscription(
        self, *, group: str, topics: Sequence[str], max_wait: float | None = None
    ) -> Subscription:
        """A member of ``group``. ``max_wait``: how long, in seconds, a new message may sit
        before the subscription notices it (the adapter's default when None). Shorter
        costs more polling while idle; a group that is not in a hurry asks for more."""
        ...

    async def ensure_topics(self, topics: Sequence[str]) -> None:
        """Create the topics if they do not exist yet (idempotent)."""
        ...

    async def close(self) -> None:
        """Release what the bus itself holds (its publishers and subscriptions are
        stopped by whoever started them). Closing twice is harmless."""
        ...
