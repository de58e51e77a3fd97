"""Bad lines in an ONSS import (Art. 14), on the embedded default and on PostgreSQL +
Kafka (issue 12, defect 4): a JSON line nested 30,000 deep, NaN or a NUL character is
rejected on its own line and the import goes on; an import that breaks off (a line too
long, a body over GUICHET_ONSS_FEED_IMPORT_MAX_BYTES) says which batches were already
committed, so that the importer's retry resumes after them.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from guichet_core.http.problem_docs import PROBLEM_JSON
from guichet_onss_feed.settings import OnssFeedSettings
from guichet_onss_feed.streaming import MAX_LINE

from .test_onss_feed import STRANGER_NISS, Platform, chunked, onss
from .test_onss_feed import platform as platform  # the fixture: the feed with intake

pytestmark = pytest.mark.asyncio(loop_scope="module")


def limosa(number: int) -> str:
    """A LIMOSA declaration of a worker with no dossier: counted as unlinked, kept nowhere."""
    record = {
        "limosa_id": f"L-bad-{number}",
        "declarant": "employee",
        "niss": STRANGER_NISS,
        "sender_name": "Infy",
        "sender_country": "IN",
        "belgian_user": "0403019261",
        "start_date": "2026-04-01",
        "end_date": "2027-03-31",
        "workplace_postcode": "2000",
    }
    return json.dumps(record)


@contextlib.contextmanager
def feed_settings(platform: Platform, **values: Any) -> Iterator[None]:
    settings = platform.runtime.settings
    assert isinstance(settings, OnssFeedSettings)
    before = {name: getattr(settings, name) for name in values}
    for name, value in values.items():
        setattr(settings, name, value)
    try:
        yield
    finally:
        for name, value in before.items():
            setattr(settings, name, value)


async def send(platform: Platform, text: str) -> Any:
    headers = {**onss(platform), "content-type": "application/x-ndjson"}
    return await platform.feed.post(
        "/imports/limosa", content=chunked(text.encode(), 4096), headers=headers
    )


async def test_a_line_nested_30000_deep_is_rejected_on_its_line_and_the_import_goes_on(
    platform: Platform,
) -> None:
    lines = [
        limosa(1),
        "[" * 30_000 + "]" * 30_000,
        limosa(3),
        limosa(4).replace('"2000"', "NaN"),
        limosa(5).replace("Infy", "In\\u0000fy"),
    ]
    with feed_settings(platform, import_batch_size=2):
        response = await send(platform, "\n".join(lines) + "\n")
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["records"], answer["unlinked"]) == (5, 2)
    rejected = {r["line"]: r["reason"] for r in answer["rejected"]}
    assert sorted(rejected) == [2, 4, 5]
    assert "nested deeper than 32 levels" in rejected[2]
    assert "not JSON" in rejected[4] and "NUL" in rejected[5]
    assert (answer["committed_batches"], answer["last_committed_line"]) == (1, 5)


async def test_an_import_that_breaks_off_says_which_batches_were_committed(
    platform: Platform,
) -> None:
    lines = [limosa(n) for n in range(1, 6)] + ["x" * (MAX_LINE + 10)]
    with feed_settings(platform, import_batch_size=2):
        response = await send(platform, "\n".join(lines))
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    problem = response.json()
    assert "line 6" in problem["detail"] and "xxx" not in response.text
    assert (problem["committed_batches"], problem["last_committed_line"]) == (2, 4)


async def test_an_import_over_its_limit_is_refused_413_and_says_what_was_committed(
    platform: Platform,
) -> None:
    body = "".join(limosa(n) + "\n" for n in range(1, 200))  # about 50 kB, chunked
    with feed_settings(platform, import_batch_size=10, import_max_bytes=20_000):
        response = await send(platform, body)
        assert response.status_code == 413, response.text
        problem = response.json()
        assert "20000 bytes" in problem["detail"]
        assert problem["committed_batches"] >= 1
        assert problem["last_committed_line"] == 10 * problem["committed_batches"]
        declared = {
            **onss(platform),
            "content-type": "application/x-ndjson",
            "content-length": "20001",
        }

        async def unread() -> AsyncIterator[bytes]:
            raise AssertionError("a body declared over the limit is not read")
            yield b""

        refused = await platform.feed.post("/imports/limosa", content=unread(), headers=declared)
        assert refused.status_code == 413


async def test_the_import_limit_is_a_setting_of_one_gibibyte(platform: Platform) -> None:
    assert OnssFeedSettings().import_max_bytes == 1024**3  # GUICHET_ONSS_FEED_IMPORT_MAX_BYTES
    schema = (await platform.feed.get("/openapi.json")).json()
    operation = schema["paths"]["/imports/{source}"]["post"]
    assert operation["x-body-limit-setting"] == "import_max_bytes"
    assert PROBLEM_JSON in operation["responses"]["413"]["content"]
