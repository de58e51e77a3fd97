"""The feed's one use case: records of one source in, each accepted, a duplicate,
unlinked or rejected; valid ones ingested a transaction per batch (``ingest.Feed``)."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable
from datetime import date
from typing import Any

from guichet_core.service import Runtime
from guichet_onss_feed.ingest import Feed, ImportResult
from guichet_onss_feed.records import Declaration, RecordRejected, Source, validate
from guichet_onss_feed.settings import OnssFeedSettings


async def ingest_all(
    rt: Runtime,
    source: Source,
    numbered: AsyncIterable[tuple[int, Any]],
    *,
    today: date,
    result: ImportResult | None = None,
) -> ImportResult:
    """Validate each record and ingest the valid ones, a transaction per batch; ``result``
    says, if the stream breaks off, which batches were committed."""
    settings = rt.settings
    assert isinstance(settings, OnssFeedSettings)
    feed = Feed(rt)
    if result is None:
        result = ImportResult(max_reported=settings.max_reported_rejections)
    batch: list[tuple[int, Declaration]] = []
    line = 0
    async for line, raw in numbered:
        result.records += 1
        try:
            if isinstance(raw, RecordRejected):
                raise raw
            batch.append((line, validate(source, raw, today=today)))
        except RecordRejected as error:
            result.reject(line, error.reason)
        if len(batch) >= settings.import_batch_size:
            await feed.ingest(batch, result)
            result.committed(line)
            batch = []
    if batch:
        await feed.ingest(batch, result)
        result.committed(line)
    result.last_committed_line = line  # every line is now accepted or answered for
    return result


async def numbered(items: Iterable[Any]) -> AsyncIterator[tuple[int, Any]]:
    """A JSON batch's records with their 1-based positions, as a streamed file's lines."""
    for line, item in enumerate(items, start=1):
        yield line, item
