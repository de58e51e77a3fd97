"""Leak scan, after the whole run: no personal value and no reason in clear (GDPR Art. 5
§1 f, Art. 32; the agreement's Art. 24: a negative decision's reasons reach only the
worker) in any service log (stdout and stderr, spans included: the services run with the
console span exporter), the services' health figures (their only metrics), any message of
any topic or dead-letter topic of the platform, or any error body the harness received.

The harness knows every value it submitted (``Report.personal``). Each is looked for
literally, and inside every base64 run of the scanned text once decoded (at any of the
three byte alignments, so a value inside a larger encoded blob is found too). The report
names the source, the kind of value and where, never the value itself.
"""

from __future__ import annotations

import base64
import binascii
import collections
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import httpx

from reliability.reconcile import read_topic
from reliability.report import Report, log
from reliability.stack import Platform

TOKEN = re.compile(rb"[A-Za-z0-9@._+\-]{5,}")
BASE64 = re.compile(rb"[A-Za-z0-9+/_\-]{16,}={0,2}")
HEX = re.compile(rb"[0-9a-fA-F\-]+")


def kind_of(value: str) -> str:
    if value.isdigit() and len(value) == 11:
        return "NISS"
    if "@" in value:
        return "e-mail"
    if " " in value:
        return "reason, address or free text"
    return "name or identifier"


class Scanner:
    def __init__(self, secrets: Iterable[str]) -> None:
        values = {v.encode() for v in secrets}
        # A one-token value is found by a set lookup of the text's tokens; a phrase by its
        # longest word (then confirmed whole), so the scan stays linear in the text.
        self.tokens = {v for v in values if TOKEN.fullmatch(v)}
        self.phrases: dict[bytes, list[bytes]] = collections.defaultdict(list)
        self.unkeyed: list[bytes] = []
        for phrase in values - self.tokens:
            words = [w.strip(b".-_") for w in TOKEN.findall(phrase)]
            if key := max(words, key=len, default=b""):
                self.phrases[key].append(phrase)
            else:
                self.unkeyed.append(phrase)
        self.kinds = {v: kind_of(v.decode()) for v in values}

    def _clear(self, data: bytes) -> Iterator[bytes]:
        for match in TOKEN.finditer(data):
            token = match.group().strip(b".-_")
            if token in self.tokens:
                yield token
            for phrase in self.phrases.get(token, ()):
                if phrase in data:
                    yield phrase
        for phrase in self.unkeyed:
            if phrase in data:
                yield phrase

    def find(self, data: bytes) -> list[str]:
        """The kinds of the values found in ``data`` (in clear or base64), with repeats."""
        found = list(self._clear(data))
        for run in BASE64.finditer(data):
            text = run.group()
            if HEX.fullmatch(text) or text.islower() or text.isupper():
                continue  # ids, hashes, trace ids and names: not base64 of what we sent
            found += {v for decoded in _decodings(text) for v in self._clear(decoded)}
        return [f"{self.kinds[v]}{' (base64)' if v not in data else ''}" for v in found]


def _decodings(run: bytes) -> Iterator[bytes]:
    for start in range(4):
        chunk = run[start:]
        chunk = chunk[: len(chunk) - len(chunk) % 4]
        for decode in (base64.b64decode, base64.urlsafe_b64decode):
            try:
                yield decode(chunk.rstrip(b"=") + b"=" * (-len(chunk.rstrip(b"=")) % 4))
            except (binascii.Error, ValueError):
                continue


def _scan_lines(scanner: Scanner, path: Path) -> tuple[int, collections.Counter[str], int]:
    """(bytes scanned, kinds found, first line with a find)."""
    size, found, first = 0, collections.Counter[str](), 0
    with path.open("rb") as handle:
        for number, line in enumerate(handle, 1):
            size += len(line)
            if hits := scanner.find(line):
                found.update(hits)
                first = first or number
    return size, found, first


def _summary(found: collections.Counter[str]) -> str:
    return ", ".join(f"{n} {kind}" for kind, n in found.most_common())


async def run(platform: Platform, report: Report) -> None:
    scanner = Scanner(report.secrets)
    log(f"leak scan: {len(report.secrets)} values submitted")
    failures, scanned = [], 0
    for path in sorted(platform.log_dir.glob("*.log")):
        size, found, first = _scan_lines(scanner, path)
        scanned += size
        if found:
            failures.append(f"{path.name}: {_summary(found)} (first at line {first})")
    report.case(
        "leaks: service logs and spans",
        ok=True,
        kind="leaks",
        failures=failures,
        files=len(list(platform.log_dir.glob("*.log"))),
        mib=round(scanned / 2**20, 1),
    )

    failures, messages = [], 0
    topics = [platform.topic(s) for s in platform.urls] + await platform.dead_letter_topics()
    for topic in topics:
        found = collections.Counter[str]()
        for key, headers, value in await read_topic(platform.kafka_bootstrap, topic):
            messages += 1
            found.update(scanner.find(b"\n".join([key or b"", value, *headers.values()])))
        if found:
            failures.append(f"{topic}: {_summary(found)}")
    report.case(
        "leaks: topics and dead-letter topics",
        ok=True,
        kind="leaks",
        failures=failures,
        topics=len(topics),
        messages=messages,
    )

    failures = []
    by_where: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for where, body in report.error_bodies:
        if hits := scanner.find(body):
            by_where[where].update(hits)
    failures += [f"{where}: {_summary(found)}" for where, found in by_where.items()]
    async with httpx.AsyncClient(timeout=10) as client:
        for name, url in platform.urls.items():
            body = (await client.get(url + "/health")).content
            if hits := scanner.find(body):
                failures.append(f"{name} /health: {_summary(collections.Counter(hits))}")
    report.case(
        "leaks: error bodies and health figures",
        ok=True,
        kind="leaks",
        failures=failures,
        bodies=len(report.error_bodies),
    )
