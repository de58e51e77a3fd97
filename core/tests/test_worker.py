"""The one retry policy (guichet_core.kernel.retry); the polling worker is specified through
the relay, in test_consumer.py, and the dispatcher, in test_notifications.py."""

from __future__ import annotations

from guichet_core.kernel.retry import Backoff


def test_the_backoff_doubles_from_its_first_wait_up_to_its_cap() -> None:
    backoff = Backoff(first=0.25, cap=2.0)
    assert [backoff.delay(n) for n in range(1, 7)] == [0.25, 0.5, 1.0, 2.0, 2.0, 2.0]
