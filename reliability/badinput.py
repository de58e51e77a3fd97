"""Bad input (issue 12, ``make reliability``): the inputs an outside probe turned into
500s or unbounded reads, poison messages on every consumed topic (``badinput_kafka``)
and schemathesis over every service's OpenAPI (``badinput_schema``).

Every answer to bad input is a 4xx that says what to fix, never a 5xx, never the input
echoed back (GDPR Art. 5 §1 f: an error body is one more copy of personal data), and a
refused request stores nothing (the dossier's version is unchanged).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx

from guichet_contracts.vocabulary import Authority
from reliability import badinput_kafka, badinput_schema
from reliability.load import Person, application_form
from reliability.report import Report
from reliability.target import Filed, Target, target_of

MB = 1024 * 1024
MAX_ERROR_BODY = 64 * 1024  # an error says what is wrong; it never carries the request back


@dataclass(frozen=True)
class Sizes:
    invalid_body: int  # bytes of a body that is not a filing at all
    filing: int  # bytes of the document inside an otherwise valid filing
    examples: int  # schemathesis examples per operation


FULL = Sizes(invalid_body=100 * MB, filing=266 * MB, examples=25)
FAST = Sizes(invalid_body=8 * MB, filing=12 * MB, examples=3)


async def run(stack: Any, report: Report, sizes: Sizes = FULL) -> None:
    """``make reliability``'s bad input; ``RELIABILITY_MAX_EXAMPLES`` bounds schemathesis
    (examples per operation, default 25: the whole of part B stays under 10 minutes)."""
    examples = int(os.environ.get("RELIABILITY_MAX_EXAMPLES", sizes.examples))
    sizes = dataclasses.replace(sizes, examples=examples)
    async with target_of(stack) as target:
        await bad_input(target, report, sizes)


async def bad_input(target: Target, report: Report, sizes: Sizes) -> None:
    filed = await target.file(report)
    await target.everywhere(filed)
    await defect_cases(target, report, filed, sizes)
    await badinput_kafka.poison(target, report)
    await badinput_schema.fuzz(target, report, filed, examples=sizes.examples)


@dataclass
class Probe:
    name: str
    service: str
    path: str
    headers: dict[str, str]
    content: Any  # bytes, or a function giving an async iterator of bytes (streamed)
    marker: str  # a value of the input that must not come back
    accepted: frozenset[int] = frozenset({400, 413, 422})


def _json(value: Any) -> bytes:
    return json.dumps(value, allow_nan=True).encode()  # NaN and lone surrogates kept as sent


def _probes(target: Target, report: Report, filed: Filed, sizes: Sizes) -> list[Probe]:
    marker = f"Echo{uuid.uuid4().hex[:10]}"
    report.personal(marker)
    region = target.tokens.header(filed.region, "officer-1")
    worker = filed.worker(target.tokens)
    employer = target.tokens.employer()
    onss = target.tokens.header(Authority.ONSS, "onss-batch")
    base = f"/dossiers/{filed.dossier}"
    today = date.today().isoformat()
    due = (date.today() + timedelta(days=14)).isoformat()
    nul = f"{marker}\x00 ground 7"

    def form(**worker_fields: Any) -> dict[str, Any]:
        body = application_form(Person.fresh(report), "1000")
        body["worker"].update(worker_fields)
        return body

    deep = "[" * 30_000 + "]" * 30_000
    nan = form(last_name=marker)
    nan["employment"]["weekly_hours"] = float("nan")
    return [
        Probe(
            "NUL byte in a document request's explanation",
            "regional-decision",
            base + "/document-requests",
            region,
            _json({"document_kinds": ["passport"], "due_on": due, "explanation": nul}),
            marker,
        ),
        Probe(
            "NUL byte in decision reasons",
            "regional-decision",
            base + "/work-decision",
            region,
            _json({"authorised": False, "reasons": nul}),
            marker,
        ),
        Probe(
            "NUL byte in a rights request's details",
            "retention",
            "/rights-requests",
            worker,
            _json(
                {"dossier_id": filed.dossier, "kind": "access", "concern": "work", "details": nul}
            ),
            marker,
        ),
        Probe(
            "NUL byte in an appeal id",
            "retention",
            base + "/appeals",
            region,
            _json({"appeal_id": f"RvV\x00{marker}", "step": "work", "lodged_on": today}),
            marker,
        ),
        Probe(
            "lone surrogate in the filing form",
            "intake",
            "/applications",
            employer,
            _json(form(last_name=f"{marker}\ud800")),
            marker,
        ),
        Probe("NaN in the filing form", "intake", "/applications", employer, _json(nan), marker),
        Probe(
            "JSON nested 30,000 deep (filing)",
            "intake",
            "/applications",
            employer,
            deep.encode(),
            "[[[[[[[[[[[[[[[[[[[[",
        ),
        Probe(
            "JSON-lines line nested 30,000 deep (ONSS import)",
            "onss-feed",
            "/imports/dimona",
            {**onss, "content-type": "application/x-ndjson"},
            (deep + "\n").encode(),
            "[[[[[[[[[[[[[[[[[[[[",
            accepted=frozenset({200, 400, 413, 422}),
        ),
        Probe(
            f"{sizes.invalid_body // MB} MB invalid body",
            "intake",
            "/applications",
            employer,
            lambda: _padding(marker, sizes.invalid_body),
            marker,
        ),
        Probe(
            f"{sizes.filing // MB} MB filing",
            "intake",
            "/applications",
            employer,
            lambda: _big_filing(form(last_name=marker), sizes.filing),
            marker,
            accepted=frozenset({413, 422}),
        ),
    ]


async def defect_cases(target: Target, report: Report, filed: Filed, sizes: Sizes) -> None:
    """Each input of issue 12's list: a 4xx that names the problem, never a 500, never
    the input echoed, nothing half-stored."""
    admissible = await target.clients["regional-decision"].post(
        f"/dossiers/{filed.dossier}/admissibility",
        json={"admissible": True},
        headers=target.tokens.header(filed.region, "officer-1"),
    )  # so that the work decision and a document request may be taken (Art. 12 §1, 20 §4)
    if admissible.status_code != 200:
        raise RuntimeError(f"declaring the probe dossier admissible gave {admissible.status_code}")
    version = await _version(target, filed)
    refused, total, failures = 0, 0, []
    for probe in _probes(target, report, filed, sizes):
        client = target.clients.get(probe.service)
        if client is None:
            continue
        total += 1
        headers = {"content-type": "application/json", **probe.headers}
        try:
            answer = await _send(client, probe, headers)
        except httpx.HTTPError as error:
            failures.append(f"{probe.name}: the connection broke ({type(error).__name__})")
            continue
        body = answer.content
        report.error_body(f"POST {probe.service} {probe.path} ({probe.name})", body)
        wrong = []
        if answer.status_code not in probe.accepted:
            wrong.append(f"not one of {sorted(probe.accepted)}")
        if len(body) > MAX_ERROR_BODY:
            wrong.append(f"a {len(body) // 1024} KB answer")
        if probe.marker.encode() in body:
            wrong.append("the answer echoes the input")
        if answer.status_code >= 400 and "problem+json" not in answer.headers.get(
            "content-type", ""
        ):
            wrong.append("not application/problem+json (RFC 9457)")
        if wrong:
            failures.append(f"{probe.name}: {answer.status_code}: {'; '.join(wrong)}")
        else:
            refused += 1
    if version is not None and await _version(target, filed) != version:
        failures.append("a refused decision changed the dossier (half-stored)")
    report.attack(
        "bad input of issue 12 (NUL, surrogate, NaN, deep, huge)",
        refused=refused,
        total=total,
        failures=failures,
    )


async def _send(client: httpx.AsyncClient, probe: Probe, headers: dict[str, str]) -> httpx.Response:
    """POST the probe; once more on a fresh connection when the server had closed the one
    reused (uvicorn closes a connection after an unhandled error)."""
    for attempt in (1, 2):
        content = probe.content() if callable(probe.content) else probe.content
        try:
            return await client.post(probe.path, content=content, headers=headers)
        except (httpx.ReadError, httpx.RemoteProtocolError):
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


async def _version(target: Target, filed: Filed) -> int | None:
    client = target.clients.get("regional-decision")
    if client is None:
        return None
    answer = await client.get(
        f"/dossiers/{filed.dossier}", headers=target.tokens.header(filed.region, "officer-1")
    )
    return int(answer.json()["version"]) if answer.status_code == 200 else None


async def _padding(marker: str, size: int) -> AsyncIterator[bytes]:
    """``{"kind": "<marker>xxxx…"}``: one string field of ``size`` bytes."""
    yield b'{"kind": "' + marker.encode()
    chunk = b"x" * MB
    for _ in range(size // MB):
        yield chunk
    yield b'"}'


async def _big_filing(form: dict[str, Any], size: int) -> AsyncIterator[bytes]:
    """A valid filing whose last document is a ``size``-byte PDF, base64 in the JSON with
    its true SHA-256 (computed as it streams: the digest comes after the content)."""
    last = form["documents"].pop()
    head = json.dumps(form)[: -len("]}")]
    yield (
        head + ', {"kind": "' + last["kind"] + '", "filename": "big.pdf", '
        '"media_type": "application/pdf", "content_base64": "'
    ).encode()
    digest = hashlib.sha256()
    pieces = [b"%PDF-1.7\n"] + [b"0" * (3 * 349_525)] * max(1, size // (3 * 349_525))
    pieces.append(b"\n%%EOF\n")
    pending = b""
    for piece in pieces:
        digest.update(piece)
        pending += piece
        whole = len(pending) - len(pending) % 3
        yield _b64(pending[:whole])
        pending = pending[whole:]
    yield _b64(pending) + f'", "sha256": "{digest.hexdigest()}"}}]}}'.encode()


def _b64(data: bytes) -> bytes:
    return base64.b64encode(data)
