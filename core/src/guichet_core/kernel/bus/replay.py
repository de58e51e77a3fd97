"""Reading a log from its beginning until it falls quiet: what rebuilds and replays do."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from guichet_core.kernel.bus.port import BusUnavailable, ReceivedMessage, Subscription


async def until_quiet(
    subscription: Subscription,
    *,
    idle_polls: int = 4,
    max_messages: int = 500,
    timeout: float = 1.0,
    join_within: float = 120.0,
) -> AsyncIterator[list[ReceivedMessage]]:
    """Yield batches until ``idle_polls`` fetches in a row found nothing.

    Empty fetches count only once the subscription has its partitions: before that
    they say nothing about the log, and a rebuild that stopped then would replace a
    full projection with an empty one.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + join_within
    quiet = 0
    while quiet < idle_polls:
        batch = await subscription.fetch(max_messages=max_messages, timeout=timeout)
        if batch:
            quiet = 0
            yield batch
        elif subscription.assigned:
            quiet += 1
        elif loop.time() > deadline:
            raise BusUnavailable(f"no partitions assigned within {join_within:.0f} s")
