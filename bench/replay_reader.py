"""Read the whole log through ``SqlEventStore.iter_all`` in a process of its own, so that
its peak RSS is the reader's alone: ``python -m bench.replay_reader URL SCHEMA LIMIT``.

Prints one JSON line: events read, seconds, RSS before reading, peak RSS (MiB) at the
end and at each event count given after LIMIT (e.g. 250000).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

from bench.common import peak_mb, rss_mb
from guichet_core.kernel.store.database import DatabaseConfig, create_engine
from guichet_core.kernel.store.sql import event_store_for


async def main(url: str, schema: str, limit: int, marks: set[int]) -> dict[str, Any]:
    engine = create_engine(DatabaseConfig(url=url, schema=schema or None))
    store = event_store_for(engine, source="/guichet/bench")
    await store.read_all(limit=1)  # connect before measuring
    before = rss_mb()
    count, checksum, checkpoints = 0, 0, {}
    start = time.perf_counter()
    async for event in store.iter_all():
        count += 1
        checksum += event.version + len(event.data)  # touch what a projection would
        if count in marks:
            checkpoints[str(count)] = peak_mb()
        if count >= limit:
            break
    seconds = time.perf_counter() - start
    await engine.dispose()
    return {
        "events": count,
        "seconds": seconds,
        "rss_before_mb": before,
        "peak_rss_mb": peak_mb(),
        "peak_rss_mb_at": checkpoints,
        "checksum": checksum,
    }


if __name__ == "__main__":
    url, schema, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
    marks = {int(mark) for mark in sys.argv[4:]}
    try:
        import uvloop  # what the services run on (uvicorn[standard])

        result = uvloop.run(main(url, schema, limit, marks))
    except ImportError:
        result = asyncio.run(main(url, schema, limit, marks))
    print(json.dumps(result))
