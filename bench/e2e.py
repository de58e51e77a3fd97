"""3. End to end at a steady 100 applications/s (open loop: requests leave on schedule
whatever the answers do).

- filed -> region: from the filing request to the dossier being in the competent
  region's work queue (the ``work_queue`` projection the region's queue route reads);
- filed -> visible: in the same runs, from the filing request to the dossier being
  visible in the consultation service (a filed view in its live projection generation);
- decision -> office: from a regional work authorisation to the dossier being in the
  Immigration Office's queue (``residence_queue``, status awaiting_residence_decision).

Visibility is polled in the services' own tables every 5 ms (not through HTTP, so the
probe does not load the services it measures). Each run starts once every consumer has
read all that was published before it, so no earlier backlog is measured as latency.
"""

from __future__ import annotations

import asyncio
import importlib
import sqlite3
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import TypeVar

import asyncpg

from bench.common import RUNS, Results, log, percentile
from bench.filing import client, file_many, file_one
from bench.http import BROKEN
from bench.stack import SERVICES, Stack
from guichet_contracts.vocabulary import Authority
from tests.support import application_form

T = TypeVar("T")
RATE = 100.0  # applications/s
FILINGS = 1000  # per run: 10 s at 100/s
DECISIONS = 100  # per run: 1 s at 100/s
POLL = 0.005
UNLOADED, UNLOADED_RATE = 30, 10.0  # a baseline without queueing


class Watch:
    """Polls one service's table for ids; when each was first seen.

    ``key`` is the id column: a UUID column (hex text on SQLite) unless ``text_key``, for
    ids stored as their canonical text."""

    def __init__(
        self,
        stack: Stack,
        service: str,
        table: str,
        condition: str = "",
        *,
        key: str = "application_id",
        text_key: bool = False,
    ) -> None:
        self.stack, self.service, self.table, self.condition = stack, service, table, condition
        self.key, self.text_key = key, text_key
        self.sent: dict[str, float] = {}
        self.latencies: dict[str, float] = {}
        self._pg: asyncpg.Connection | None = None
        self._sqlite: sqlite3.Connection | None = None

    async def open(self) -> None:
        if self.stack.backend == "postgres-kafka":
            self._pg = await asyncpg.connect(
                self.stack.database_url,
                server_settings={"search_path": self.stack.schema(self.service)},
            )
        else:
            file = self.stack.sqlite_file(self.service)
            self._sqlite = sqlite3.connect(f"file:{file}?mode=ro", uri=True)

    async def close(self) -> None:
        if self._pg:
            await self._pg.close()
        if self._sqlite:
            self._sqlite.close()

    def expect(self, application_id: str, sent: float) -> None:
        self.sent[application_id] = sent

    async def _visible(self, ids: list[str]) -> set[str]:
        where = f" and {self.condition}" if self.condition else ""
        key = self.key
        if self._pg is not None:
            kind = "text" if self.text_key else "uuid"
            query = f"select {key}::text from {self.table} where {key} = any($1::{kind}[]){where}"
            return {row[0] for row in await self._pg.fetch(query, ids)}
        assert self._sqlite is not None
        stored = {i if self.text_key else uuid.UUID(i).hex: i for i in ids}
        marks = ",".join("?" * len(stored))
        query = f"select {key} from {self.table} where {key} in ({marks}){where}"
        rows = self._sqlite.execute(query, list(stored)).fetchall()
        return {stored.get(str(r[0]), str(r[0])) for r in rows}

    async def until_all(self, total: int, *, seconds: float = 120) -> list[float]:
        """Poll until ``total`` expected ids were seen; their latencies in ms."""
        deadline = time.monotonic() + seconds
        while len(self.latencies) < total:
            pending = [i for i in self.sent if i not in self.latencies]
            if pending:
                found = await self._visible(pending)
                now = time.perf_counter()
                for application_id in found:
                    self.latencies[application_id] = (now - self.sent[application_id]) * 1000
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"{total - len(self.latencies)} dossiers never reached "
                    f"{self.service}.{self.table}"
                )
            await asyncio.sleep(POLL)
        return list(self.latencies.values())


class VisibleWatch(Watch):
    """Polls the consultation service's live projection for filed views. Its tables are
    per generation (a rebuild switches them), so the active one is looked up at open."""

    def __init__(self, stack: Stack) -> None:
        json_filed = (
            "(view ->> 'filed')::boolean"
            if stack.backend == "postgres-kafka"
            else "json_extract(view, '$.filed') = 1"
        )
        # A view row may exist before its filing arrives (events of other topics); the
        # API answers 404 for it until then, so it is not yet visible.
        super().__init__(stack, "consultation", "", json_filed, key="dossier_id", text_key=True)

    async def open(self) -> None:
        await super().open()
        query = "select max(generation) from projection_generations where state = 'active'"
        if self._pg is not None:
            generation = await self._pg.fetchval(query)
        else:
            assert self._sqlite is not None
            generation = self._sqlite.execute(query).fetchone()[0]
        if generation is None:
            raise RuntimeError("the consultation service has no active projection generation")
        self.table = f"dossier_views_g{generation}"

    async def filed_in(self, authority: str, limit: int) -> list[str]:
        """Up to ``limit`` visible dossiers whose competent authority is ``authority``."""
        where = f"{self.condition} and "
        if self._pg is not None:
            where += "view ->> 'competent_authority' = $1"
            query = f"select dossier_id from {self.table} where {where} limit $2"
            return [row[0] for row in await self._pg.fetch(query, authority, limit)]
        assert self._sqlite is not None
        where += "json_extract(view, '$.competent_authority') = ?"
        query = f"select dossier_id from {self.table} where {where} limit ?"
        return [row[0] for row in self._sqlite.execute(query, (authority, limit))]


RETRIES = {"count": 0}


async def retried(request: Callable[[], Awaitable[T]]) -> T:
    """Resend a request whose connection broke before an answer (seen under overload:
    a reset connection); the latency still counts from the first send."""
    for attempt in range(3):
        try:
            return await request()
        except BROKEN:
            if attempt == 2:
                raise
            RETRIES["count"] += 1
            await asyncio.sleep(0.05)
    raise AssertionError("unreachable")


async def paced(count: int, action: Callable[[int], Awaitable[None]], rate: float = RATE) -> None:
    """Start ``action(i)`` at ``rate`` per second, on schedule, whatever the answers do."""
    start = time.perf_counter()
    tasks = []
    for i in range(count):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(action(i)))
    await asyncio.gather(*tasks)


async def filed_to(
    stack: Stack, watches: list[Watch], count: int | None = None, rate: float | None = None
) -> list[list[float]]:
    """File at a steady rate; each watch's latencies (one filing run serves them all)."""
    count, rate = count or FILINGS, rate or RATE
    await caught_up(stack)
    form, headers = application_form(), stack.tokens.employer()
    try:
        for watch in watches:
            await watch.open()
        async with client(stack.urls["intake"], 64) as http:

            async def action(_: int) -> None:
                sent = time.perf_counter()
                application_id = await retried(lambda: file_one(http, headers, form))
                for watch in watches:
                    watch.expect(application_id, sent)

            pollers = [asyncio.create_task(watch.until_all(count)) for watch in watches]
            try:
                await paced(count, action, rate)
                return [await poller for poller in pollers]
            finally:
                for poller in pollers:
                    poller.cancel()
    finally:
        for watch in watches:
            await watch.close()


def region_watch(stack: Stack) -> Watch:
    return Watch(stack, "regional-decision", "work_queue")


async def filed_to_region(
    stack: Stack, count: int | None = None, rate: float | None = None
) -> list[float]:
    [latencies] = await filed_to(stack, [region_watch(stack)], count, rate)
    return latencies


def _validity() -> dict[str, str]:
    start = date.today() + timedelta(days=30)
    return {"valid_from": start.isoformat(), "valid_until": (start + timedelta(365)).isoformat()}


async def admissible_dossiers(stack: Stack, count: int) -> list[str]:
    """Single permits filed in Brussels, arrived in the region, declared admissible."""
    ids, _, _ = await file_many(stack, count, form=application_form(postcode="1000"))
    arrived = region_watch(stack)
    await arrived.open()
    for application_id in ids:
        arrived.expect(application_id, time.perf_counter())
    await arrived.until_all(count)
    await arrived.close()
    bxl = stack.tokens.header(Authority.BXL)
    async with client(stack.urls["regional-decision"], 16) as http:
        queue = iter(ids)

        async def worker() -> None:
            for application_id in queue:
                response = await http.post(
                    f"/dossiers/{application_id}/admissibility",
                    json={"admissible": True},
                    headers=bxl,
                )
                if response.status_code != 200:
                    raise RuntimeError(f"admissibility: {response.status_code} {response.text}")

        await asyncio.gather(*(worker() for _ in range(16)))
    return ids


async def decision_to_office(stack: Stack, ids: list[str]) -> list[float]:
    await caught_up(stack)
    watch = Watch(
        stack, "residence-decision", "residence_queue", "status = 'awaiting_residence_decision'"
    )
    await watch.open()
    bxl, body = stack.tokens.header(Authority.BXL), {"authorised": True, **_validity()}
    try:
        async with client(stack.urls["regional-decision"], 64) as http:

            async def decide(application_id: str) -> None:
                response = await http.post(
                    f"/dossiers/{application_id}/work-decision", json=body, headers=bxl
                )
                if response.status_code != 200:
                    raise RuntimeError(f"work decision: {response.status_code} {response.text}")

            async def action(i: int) -> None:
                watch.expect(ids[i], time.perf_counter())
                await retried(lambda: decide(ids[i]))

            poller = asyncio.create_task(watch.until_all(len(ids)))
            try:
                await paced(len(ids), action)
                return await poller
            finally:
                poller.cancel()
    finally:
        await watch.close()


async def measure(results: Results, stack: Stack) -> None:
    log(
        f"end to end [{stack.backend}]: unloaded baseline, filed -> region queue, "
        f"{UNLOADED} at {UNLOADED_RATE:.0f}/s, {RUNS} runs"
    )
    p50, p99 = [], []
    for _ in range(RUNS):
        latencies = await filed_to_region(stack, UNLOADED, UNLOADED_RATE)
        p50.append(percentile(latencies, 50))
        p99.append(percentile(latencies, 99))
    note = f"at {UNLOADED_RATE:.0f} applications/s: the hops' own latency, without queueing"
    results.add("e2e_filed_to_region_unloaded_p50_ms", stack.backend, p50, "ms", note)
    results.add("e2e_filed_to_region_unloaded_p99_ms", stack.backend, p99, "ms", note)
    log(
        f"end to end [{stack.backend}]: filed -> region queue and -> visible in consultation, "
        f"{FILINGS} at {RATE:.0f}/s, {RUNS} runs"
    )
    p50, p99, visible_p50, visible_p99 = [], [], [], []
    for _ in range(RUNS):
        region, visible = await filed_to(stack, [region_watch(stack), VisibleWatch(stack)])
        p50.append(percentile(region, 50))
        p99.append(percentile(region, 99))
        visible_p50.append(percentile(visible, 50))
        visible_p99.append(percentile(visible, 99))
        log(
            f"  filed -> region: p50 {p50[-1]:.0f} ms, p99 {p99[-1]:.0f} ms; -> visible: "
            f"p50 {visible_p50[-1]:.0f} ms, p99 {visible_p99[-1]:.0f} ms"
        )
    results.add("e2e_filed_to_region_p50_ms", stack.backend, p50, "ms")
    results.add("e2e_filed_to_region_p99_ms", stack.backend, p99, "ms")
    note = "filed -> a filed view in the consultation service's live generation (same runs)"
    results.add("e2e_visible_p50_ms", stack.backend, visible_p50, "ms", note)
    results.add("e2e_visible_p99_ms", stack.backend, visible_p99, "ms", note)
    log(
        f"end to end [{stack.backend}]: work authorisation -> Office queue, {DECISIONS} at "
        f"{RATE:.0f}/s, {RUNS} runs (preparing {RUNS * DECISIONS} admissible dossiers)"
    )
    prepared = await admissible_dossiers(stack, RUNS * DECISIONS)
    p50, p99 = [], []
    for run in range(RUNS):
        latencies = await decision_to_office(stack, prepared[run * DECISIONS :][:DECISIONS])
        p50.append(percentile(latencies, 50))
        p99.append(percentile(latencies, 99))
        log(f"  decision -> office: p50 {p50[-1]:.0f} ms, p99 {p99[-1]:.0f} ms")
    results.add("e2e_decision_to_office_p50_ms", stack.backend, p50, "ms")
    results.add("e2e_decision_to_office_p99_ms", stack.backend, p99, "ms")
    if RETRIES["count"]:
        results.notes.append(
            f"end to end [{stack.backend}]: {RETRIES['count']} requests resent after a broken "
            "connection (latency counted from the first send)"
        )
        RETRIES["count"] = 0


async def caught_up(stack: Stack, *, seconds: float = 300) -> None:
    """Wait until every consumer has read all that the others published and every outbox
    is empty (a backlog left by earlier measurements would be measured as latency)."""
    specs = {  # every service's entry point holds its spec, whatever module defines it
        name: importlib.import_module(module + ".__main__").SPEC
        for name, (module, _) in SERVICES.items()
    }
    clients = {name: client(url, 1) for name, url in stack.urls.items()}
    deadline = time.monotonic() + seconds
    try:
        while True:
            reports = {name: (await http.get("/health")).json() for name, http in clients.items()}
            published = {specs[n].topic: r["relay"]["published"] for n, r in reports.items()}
            behind = sum(int(r["relay"]["backlog"] or 0) for r in reports.values())
            for name, spec in specs.items():
                for subscription in spec.subscriptions:
                    stats = next(
                        v
                        for k, v in reports[name]["consumers"].items()
                        if k.endswith(subscription.group)
                    )
                    read = sum(stats.values())
                    expected = sum(published.get(topic, 0) for topic in subscription.topics)
                    behind += max(0, expected - read)
            if not behind:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"the consumers are still {behind} messages behind")
            await asyncio.sleep(0.5)
    finally:
        for http in clients.values():
            await http.aclose()
