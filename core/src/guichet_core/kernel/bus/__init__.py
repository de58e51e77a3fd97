"""The bus port and the choice of adapter."""

from __future__ import annotations

from typing import TYPE_CHECKING

from guichet_core.kernel.bus.port import (
    Bus,
    BusMessage,
    BusUnavailable,
    Publisher,
    ReceivedMessage,
    Subscription,
)

if TYPE_CHECKING:
    from guichet_core.kernel.settings import ServiceSettings

__all__ = [
    "Bus",
    "BusMessage",
    "BusUnavailable",
    "Publisher",
    "ReceivedMessage",
    "Subscription",
    "make_bus",
]


def make_bus(settings: ServiceSettings, *, client_id: str) -> Bus:
    """The backend's bus. Each adapter is imported only when chosen: aiokafka only where
    Kafka is used, and a reader such as `guichet events tail` pulls in nothing else."""
    if settings.backend == "postgres-kafka":
        from guichet_core.kernel.bus.kafka import KafkaBus

        assert settings.kafka_bootstrap is not None
        return KafkaBus(settings.kafka_bootstrap, client_id=client_id)
    from guichet_core.kernel.bus.embedded import EmbeddedLog

    return EmbeddedLog(settings.data_dir / "bus.sqlite3")
