"""The bus port and the choice of adapter."""

from guichet_core.bus.port import (
    Bus,
    BusMessage,
    BusUnavailable,
    Publisher,
    ReceivedMessage,
    Subscription,
)

__all__ = ["Bus", "BusMessage", "BusUnavailable", "Publisher", "ReceivedMessage", "Subscription"]
