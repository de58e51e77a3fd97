"""Reading a CSV or JSON-lines file as it arrives, record by record, with line numbers.

Nothing holds more than one chunk and one line: memory stays flat however large the file.
CSV files have a header row (line 1) naming the source's fields, in any order; a cell
holds no line break (none of the sources' fields has one). Blank lines are skipped.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import AsyncIterable, AsyncIterator, Iterable
from typing import Any

from guichet_core.http.http_limits import UnsafeInput, refuse_unsafe_json
from guichet_onss_feed.records import FIELDS, RecordRejected, Source

MAX_LINE = 64 * 1024
CSV, NDJSON = "text/csv", "application/x-ndjson"
MEDIA_TYPES = {
    "text/csv": CSV,
    "application/x-ndjson": NDJSON,
    "application/jsonl": NDJSON,
    "application/x-jsonlines": NDJSON,
}


class BadFile(ValueError):
    """The file as a whole cannot be read (HTTP 400): bad header, a line too long."""


async def lines(chunks: AsyncIterable[bytes]) -> AsyncIterator[tuple[int, str]]:
    """Numbered lines (1-based) of a UTF-8 byte stream; undecodable bytes become U+FFFD."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="replace")
    pending, number = "", 0
    async for chunk in chunks:
        pending += decoder.decode(chunk)
        *complete, pending = pending.split("\n")
        for line in complete:
            number += 1
            yield number, line.rstrip("\r")
        if len(pending) > MAX_LINE:
            raise BadFile(f"line {number + 1} is longer than {MAX_LINE} characters")
    pending += decoder.decode(b"", final=True)
    if pending.strip():
        yield number + 1, pending.rstrip("\r")


def _header(source: Source, line: str) -> list[str]:
    columns = [name.strip().lower() for name in next(csv.reader([line]))]
    unknown = sorted(set(columns) - set(FIELDS[source]))
    if unknown:
        raise BadFile(f"line 1: unknown column(s) for {source.value}: {', '.join(unknown)}")
    if len(set(columns)) != len(columns):
        raise BadFile("line 1: a column is named twice")
    return columns


async def records(
    source: Source, media_type: str, chunks: AsyncIterable[bytes]
) -> AsyncIterator[tuple[int, dict[str, Any] | RecordRejected]]:
    """Each record of the file with its line number, or why its line is not a record."""
    header: list[str] | None = None
    async for number, line in lines(chunks):
        if not line.strip():
            continue
        if media_type == CSV:
            if header is None:
                header = _header(source, line)
                continue
            yield number, _row(header, line)
        else:
            yield number, _json(line)


def _row(header: list[str], line: str) -> dict[str, Any] | RecordRejected:
    if "\x00" in line:
        return RecordRejected("a NUL character (U+0000) cannot be stored: remove it")
    try:
        cells = next(csv.reader([line]))
    except csv.Error as error:
        return RecordRejected(f"not a CSV row: {error}")
    if len(cells) != len(header):
        return RecordRejected(f"{len(cells)} cells where the header names {len(header)}")
    return {name: cell for name, cell in zip(header, cells, strict=True) if cell.strip()}


def _json(line: str) -> dict[str, Any] | RecordRejected:
    try:  # a line nested 30,000 deep is refused here, not a RecursionError (issue 12)
        value = refuse_unsafe_json(line)
    except UnsafeInput as error:
        return RecordRejected(error.msg)
    if not isinstance(value, dict):
        return RecordRejected(f"a record is a JSON object, not {type(value).__name__}")
    return value


async def from_iterable(chunks: Iterable[bytes]) -> AsyncIterator[bytes]:
    """An async stream of the given chunks (tests, and files read from disk)."""
    for chunk in chunks:
        yield chunk
