"""The feed's HTTP API: DIMONA, LIMOSA, DmfA and INASTI records into the dossiers they
concern (Art. 14), as JSON batches or streamed CSV / JSON-lines files. Thin routes:
authorise the feeder of the source, hand the records to ``handlers``, answer a model."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Request, status
from pydantic import BaseModel

from guichet_contracts.vocabulary import Authority
from guichet_core.deps import RuntimeDep
from guichet_core.http.auth import Caller, require_authority
from guichet_core.http.http_limits import BodyTooLarge, body_limit
from guichet_core.http.problems import ProblemDetails
from guichet_onss_feed.handlers import ingest_all, numbered
from guichet_onss_feed.ingest import ImportResult
from guichet_onss_feed.records import Source
from guichet_onss_feed.settings import OnssFeedSettings
from guichet_onss_feed.streaming import MEDIA_TYPES, BadFile, records

FEEDER = {
    Source.DIMONA: Authority.ONSS,
    Source.LIMOSA: Authority.ONSS,
    Source.DMFA: Authority.ONSS,
    Source.INASTI: Authority.INASTI,
}
router = APIRouter(tags=["feed"])
# Art. 14 §1-2: the feeders may send at all; which source each one sends is ``_feeder``'s.
FeederDep = Annotated[Caller, Depends(require_authority(FEEDER.values()))]


def _feeder(source: Source, caller: FeederDep) -> Caller:
    """The caller feeds this source: ONSS sends DIMONA, LIMOSA and DmfA, INASTI its own."""
    wanted = FEEDER[source]
    if caller.authority is not wanted:
        reason = (
            f"{source.value} records are sent by {wanted}; your token is for {caller.authority}"
        )
        raise HTTPException(status.HTTP_403_FORBIDDEN, reason)
    return caller


SourceFeederDep = Annotated[Caller, Depends(_feeder)]


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


def _settings(rt: RuntimeDep) -> OnssFeedSettings:
    settings = rt.settings
    assert isinstance(settings, OnssFeedSettings)
    return settings


@router.post("/batches/{source}", openapi_extra=body_limit(setting="batch_max_bytes"))
async def batch(
    source: Source, rt: RuntimeDep, caller: SourceFeederDep, body: Annotated[list[Any], Body()]
) -> ImportAnswer:
    """Records of one source as a JSON list: each accepted, duplicate, unlinked or rejected."""
    most = _settings(rt).max_batch_records
    if len(body) > most:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE, f"a batch holds at most {most} records: use /imports"
        )
    result = await ingest_all(rt, source, numbered(body), today=datetime.now(UTC).date())
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
    source: Source, request: Request, rt: RuntimeDep, caller: SourceFeederDep
) -> ImportAnswer:
    """A streamed CSV or JSON-lines file of one source; a rejection names its line."""
    declared = request.headers.get("content-type", "").split(";")[0].strip().lower()
    media_type = MEDIA_TYPES.get(declared)
    if media_type is None:
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            "send text/csv (with a header row) or application/x-ndjson",
        )
    result = ImportResult(max_reported=_settings(rt).max_reported_rejections)
    lines = records(source, media_type, request.stream())
    try:
        await ingest_all(rt, source, lines, today=datetime.now(UTC).date(), result=result)
    except BadFile as error:  # the committed batches stay: a retry resumes after them
        raise ProblemDetails(400, str(error), **result.progress()) from error
    except BodyTooLarge as error:
        raise ProblemDetails(413, str(error.detail), **result.progress()) from error
    return ImportAnswer.model_validate(result.answer())
