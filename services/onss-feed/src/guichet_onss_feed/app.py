"""Guichet ONSS and INASTI feed: DIMONA, LIMOSA, DmfA and INASTI records into the
dossiers they concern (Art. 14), as JSON batches or streamed CSV / JSON-lines files."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, FastAPI, HTTPException, Request, status
from pydantic import BaseModel

import guichet_contracts.employment  # noqa: F401  (registers the feed's events)
from guichet_contracts.topics import INTAKE_TOPIC, ONSS_FEED_TOPIC
from guichet_core.auth import Authority, Caller, require_authority
from guichet_core.deps import RuntimeDep
from guichet_core.http_limits import BodyTooLarge, body_limit
from guichet_core.problems import ProblemDetails
from guichet_core.service import Runtime, ServiceSpec, SubscriptionSpec, create_app
from guichet_onss_feed.ingest import Feed, ImportResult
from guichet_onss_feed.linking import bind
from guichet_onss_feed.records import Declaration, RecordRejected, Source, validate
from guichet_onss_feed.settings import OnssFeedSettings
from guichet_onss_feed.streaming import MEDIA_TYPES, BadFile, records
from guichet_onss_feed.tables import dossier_links, processed_declarations

TOPIC = ONSS_FEED_TOPIC
MIGRATIONS = Path(__file__).parent / "migrations" / "versions"
FEEDER = {
    Source.DIMONA: Authority.ONSS,
    Source.LIMOSA: Authority.ONSS,
    Source.DMFA: Authority.ONSS,
    Source.INASTI: Authority.INASTI,
}
router = APIRouter(tags=["feed"])
# Art. 14 §1-2: the feeders may send at all; which source each one sends is ``_feeder``'s.
FeederDep = Annotated[Caller, Depends(require_authority(FEEDER.values()))]


class Rejection(BaseModel):
    line: int
    reason: str


class ImportAnswer(BaseModel):
    records: int
    committed_batches: int
    last_committed_line: int
    accepted: int
    duplicates: int
    unlinked: int
    events: int
    rejected_total: int
    rejected: list[Rejection]


def _feeder(source: Source, caller: Caller) -> None:
    wanted = FEEDER[source]
    if caller.authority is not wanted:
        reason = (
            f"{source.value} records are sent by {wanted}; your token is for {caller.authority}"
        )
        raise HTTPException(status.HTTP_403_FORBIDDEN, reason)


async def ingest_all(
    rt: Runtime,
    source: Source,
    numbered: AsyncIterable[tuple[int, Any]],
    result: ImportResult | None = None,
) -> ImportResult:
    """Validate each record and ingest the valid ones, a transaction per batch; ``result``
    says, if the stream breaks off, which batches were committed."""
    settings = rt.settings
    assert isinstance(settings, OnssFeedSettings)
    feed, today = Feed(rt), datetime.now(UTC).date()
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


async def _numbered(items: Iterable[Any]) -> AsyncIterator[tuple[int, Any]]:
    for line, item in enumerate(items, start=1):
        yield line, item


@router.post("/batches/{source}", openapi_extra=body_limit(setting="batch_max_bytes"))
async def batch(
    source: Source, rt: RuntimeDep, caller: FeederDep, body: Annotated[list[Any], Body()]
) -> ImportAnswer:
    """A JSON list of records of one source; each is accepted, a duplicate, unlinked or
    rejected with its 1-based position and reason."""
    _feeder(source, caller)
    settings = rt.settings
    assert isinstance(settings, OnssFeedSettings)
    if len(body) > settings.max_batch_records:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE,
            f"a batch holds at most {settings.max_batch_records} records: use /imports",
        )
    result = await ingest_all(rt, source, _numbered(body))
    return ImportAnswer.model_validate(result.answer())


# A streamed file, not a JSON body: its own 400 and 415 (core.problems derives the rest).
IMPORT_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "a malformed file; the problem names the batches already committed"},
    415: {"description": "send text/csv (with a header row) or application/x-ndjson"},
}


@router.post(
    "/imports/{source}",
    openapi_extra=body_limit(setting="import_max_bytes", streamed=True),
    responses=IMPORT_ERRORS,
)
async def import_file(
    source: Source, request: Request, rt: RuntimeDep, caller: FeederDep
) -> ImportAnswer:
    """A CSV (header row = line 1) or JSON-lines file of one source, streamed and ingested
    in batches so memory stays flat; rejections name their line."""
    _feeder(source, caller)
    declared = request.headers.get("content-type", "").split(";")[0].strip().lower()
    media_type = MEDIA_TYPES.get(declared)
    if media_type is None:
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            "send text/csv (with a header row) or application/x-ndjson",
        )
    settings = rt.settings
    assert isinstance(settings, OnssFeedSettings)
    result = ImportResult(max_reported=settings.max_reported_rejections)
    try:
        await ingest_all(rt, source, records(source, media_type, request.stream()), result)
    except BadFile as error:  # the committed batches stay: a retry resumes after them
        raise ProblemDetails(400, str(error), **result.progress()) from error
    except BodyTooLarge as error:
        raise ProblemDetails(413, str(error.detail), **result.progress()) from error
    return ImportAnswer.model_validate(result.answer())


SPEC = ServiceSpec(
    name="onss-feed",
    title="Guichet ONSS and INASTI feed",
    description=(
        "Employment and wage data from DIMONA, LIMOSA and DmfA (ONSS/RSZ) and self-employed "
        "affiliations (INASTI/RSVZ) for the dossiers (cooperation agreement of 31 January "
        "2025, Art. 14)."
    ),
    topic=TOPIC,
    migrations=MIGRATIONS,
    routers=[router],
    subscriptions=[SubscriptionSpec(group="onss-feed.links", topics=[INTAKE_TOPIC], bind=bind)],
    dossier_tables=[(dossier_links, "dossier_id"), (processed_declarations, "dossier_id")],
)


def build(settings: OnssFeedSettings | None = None) -> FastAPI:
    return create_app(SPEC, settings or OnssFeedSettings())
