"""The clock port: retention decides by today's date, so tests and demos move time."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Protocol


class Clock(Protocol):
    def today(self) -> date: ...


class SystemClock:
    def today(self) -> date:
        return datetime.now(UTC).date()


class FixedClock:
    """A clock that says what it is told (``GUICHET_RETENTION_TODAY`` for demos)."""

    def __init__(self, day: date) -> None:
        self.day = day

    def today(self) -> date:
        return self.day

    def move_to(self, day: date) -> None:
        self.day = day
