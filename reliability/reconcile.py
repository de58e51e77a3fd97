"""Reconciliation: what was filed and acknowledged, against what every event store, every
topic and every projection holds, counted from the data itself (never from the services'
own counters).

- **lost**: an acknowledged filing missing from intake's event store; an event of a store
  never published on its topic; an event a consumer group handles, on its topics, never
  recorded as processed by it; an acknowledged dossier missing from a projection's
  table; a journey whose every step was acknowledged but whose status (intake's
  applicant view) is not the path's end.
- **duplicated**: more than one dossier for one submitted person (found through the
  blind index of the NISS in consultation and onss-feed: the harness has the master
  key); an e-box message delivered twice (same dossier, recipient and subject).
- ``redelivered`` (not a fault): a message on a topic more than once (at-least-once
  publishing; the consumers' processed-message records make it harmless).
"""

from __future__ import annotations

import asyncio
import collections
import json
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition

from guichet_core.stores.blind_index import BlindIndex
from reliability.load import FINAL, Journey
from reliability.stack import Platform

FILED = "be.guichet.application.filed."  # v1 (upcast on read) and v2
PRODUCERS = ["intake", "regional-decision", "residence-decision", "retention"]
# group: (its service, the services whose topics it reads, projection table, key column)
CONSUMERS: dict[str, tuple[str, list[str], str | None, str]] = {
    "intake.applicant-status": (
        "intake",
        ["regional-decision", "residence-decision"],
        "dossier_status",
        "dossier_id",
    ),
    "regional-decision.intake": ("regional-decision", ["intake"], "work_queue", "application_id"),
    "residence-decision.dossiers": (
        "residence-decision",
        ["intake", "regional-decision"],
        None,
        "",
    ),
    "consultation.projection": (
        "consultation",
        ["intake", "regional-decision", "residence-decision", "onss-feed"],
        "dossier_views",
        "dossier_id",
    ),
    "onss-feed.links": ("onss-feed", ["intake"], "dossier_links", "dossier_id"),
    "retention.schedule": (
        "retention",
        ["intake", "regional-decision", "residence-decision", "retention"],
        "retention_schedule",
        "dossier_id",
    ),
}


@dataclass
class Reconciliation:
    filed: int  # submissions
    acked: int  # answered 201
    delivered: dict[str, int]  # per consumer group: the case's events it processed
    lost: int
    duplicated: int
    redelivered: int
    details: list[str] = field(default_factory=list)  # what was lost or duplicated, where

    def figures(self) -> dict[str, Any]:
        return {
            "filed": self.filed,
            "acked": self.acked,
            "delivered": self.delivered,
            "duplicated": self.duplicated,
            "lost": self.lost,
            "redelivered": self.redelivered,
        }


Message = tuple[bytes | None, dict[str, bytes], bytes]


async def read_topic(bootstrap: str, topic: str) -> list[Message]:
    """Every message of ``topic`` from its beginning: (key, headers, value)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None
    )
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in await _partitions(consumer, topic)]
        if not partitions:
            return []
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        out: list[Message] = []
        while [p for p in partitions if await consumer.position(p) < ends[p]]:
            batch = await consumer.getmany(timeout_ms=1000, max_records=5000)
            for records in batch.values():
                out += [(r.key, dict(r.headers), r.value or b"") for r in records]
        return out
    finally:
        await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    for _ in range(20):
        if partitions := consumer.partitions_for_topic(topic):
            return set(partitions)
        await consumer._client.force_metadata_update()  # aiokafka has no public call
    return set()


async def _topic_event_ids(platform: Platform, service: str) -> collections.Counter[str]:
    messages = await read_topic(platform.kafka_bootstrap, platform.topic(service))
    return collections.Counter(h.get("ce_id", b"").decode() for _, h, _ in messages)


async def _table(connection: asyncpg.Connection, schema: str, table: str) -> str | None:
    if table == "dossier_views":  # consultation reads its active generation
        generation = await connection.fetchval(
            f'select generation from "{schema}".projection_generations where state = $1',
            "active",
        )
        table = f"dossier_views_g{generation}"
    exists = await connection.fetchval("select to_regclass($1)", f'"{schema}"."{table}"')
    return table if exists else None


async def reconcile(platform: Platform, journeys: list[Journey]) -> Reconciliation:
    ids = {j.application_id for j in journeys if j.application_id}
    lost: list[str] = []
    dup: list[str] = []
    connection = await platform.connect()
    try:
        events: dict[str, dict[str, tuple[str, str]]] = {}  # service: event_id: (stream, type)
        for service in PRODUCERS:
            schema = platform.schema(service)  # what it produced: its outbox's events
            rows = await connection.fetch(
                f'select e.event_id::text, e.stream_id, e.event_type from "{schema}".events e '
                f'join "{schema}".outbox o on o.event_id = e.event_id '
                "where e.stream_id = any($1::text[])",
                list(ids),
            )
            events[service] = {r[0]: (r[1], r[2]) for r in rows}
        filed = {s for s, t in events["intake"].values() if t.startswith(FILED)}
        lost += [f"filing {a} acknowledged but not in intake's event store" for a in ids - filed]
        redelivered = 0
        on_topic: dict[str, set[str]] = {}
        for service in PRODUCERS:
            counts = await _topic_event_ids(platform, service)
            redelivered += sum(n - 1 for n in counts.values() if n > 1)
            on_topic[service] = set(counts)
            missing = set(events[service]) - on_topic[service]
            lost += [f"{service} event {e} never reached its topic" for e in missing]
        published = set().union(*on_topic.values())  # the unpublished are counted above
        delivered: dict[str, int] = {}
        for group, (service, topics, table, key) in CONSUMERS.items():
            schema = platform.schema(service)
            processed = {
                r[0]
                for r in await connection.fetch(
                    f'select event_id from "{schema}".processed_messages where consumer like $1',
                    platform.group(group) + "%",
                )
            }
            expected = {e: t for s in topics for e, (_, t) in events.get(s, {}).items()}
            handled = {t for e, t in expected.items() if e in processed} | await _handled(
                connection, platform, topics, processed
            )
            wanted = {e for e, t in expected.items() if t in handled and e in published}
            delivered[group] = len(wanted & processed)
            lost += [f"{group} never processed event {e}" for e in wanted - processed]
            if table and (name := await _table(connection, schema, table)):
                rows = await connection.fetch(
                    f'select {key}::text from "{schema}"."{name}" where {key}::text = any($1)',
                    list(ids),
                )
                lost += [
                    f"{group}: dossier {a} missing from {name}" for a in ids - {r[0] for r in rows}
                ]
        lost += await _lost_outcomes(connection, platform, journeys)
        dup += await _duplicates(connection, platform, journeys, ids)
    finally:
        await connection.close()
    return Reconciliation(
        filed=len(journeys),
        acked=len(ids),
        delivered=delivered,
        lost=len(lost),
        duplicated=len(dup),
        redelivered=redelivered,
        details=(lost + dup)[:50],
    )


async def _handled(
    connection: asyncpg.Connection, platform: Platform, topics: list[str], processed: set[str]
) -> set[str]:
    """The event types a group handles: those of any event it ever processed (ignored
    types are not recorded as processed)."""
    types: set[str] = set()
    for service in topics:
        if service not in PRODUCERS:
            continue
        rows = await connection.fetch(
            f'select distinct event_type from "{platform.schema(service)}".events '
            "where event_id::text = any($1::text[])",
            list(processed),
        )
        types |= {r[0] for r in rows}
    return types


async def _lost_outcomes(
    connection: asyncpg.Connection, platform: Platform, journeys: list[Journey]
) -> list[str]:
    rows = await connection.fetch(
        f'select dossier_id, "view" from "{platform.schema("intake")}".dossier_status '
        "where dossier_id = any($1::text[])",
        [j.application_id for j in journeys if j.application_id],
    )
    status = {
        r[0]: json.loads(r[1]).get("status") if isinstance(r[1], str) else r[1].get("status")
        for r in rows
    }
    lost = []
    for j in journeys:
        actual = status.get(j.application_id or "")
        if j.application_id and not j.errors and actual != FINAL[j.path]:
            lost.append(
                f"{j.path} {j.application_id}: every step acknowledged, status "
                f"{actual!r} instead of {FINAL[j.path]!r}"
            )
    return lost


async def _duplicates(
    connection: asyncpg.Connection, platform: Platform, journeys: list[Journey], ids: set[str]
) -> list[str]:
    index = BlindIndex(platform.master_key.key)
    wanted = {index.of(j.person.niss): j for j in journeys}
    dup: list[str] = []
    views = await _table(connection, platform.schema("consultation"), "dossier_views")
    for schema, table in (
        (platform.schema("onss-feed"), "dossier_links"),
        (platform.schema("consultation"), views),
    ):
        if table is None:
            continue
        rows = await connection.fetch(
            f'select niss_index, count(*) from "{schema}"."{table}" '
            "where niss_index = any($1::text[]) group by niss_index having count(*) > 1",
            list(wanted),
        )
        dup += [f"{table}: {n} dossiers for one submission ({wanted[r].path})" for r, n in rows]
    rows = await connection.fetch(
        f'select dossier_id, subject, count(*) from "{platform.namespace}ebox".ebox_messages '
        "where dossier_id = any($1::text[]) group by dossier_id, recipient, subject "
        "having count(*) > 1",
        list(ids),
    )
    dup += [f"e-box: {n} copies of one message to dossier {d}" for d, _, n in rows]
    return dup


async def settle(platform: Platform, journeys: list[Journey], seconds: float) -> Reconciliation:
    """Reconcile until nothing is missing (messages still travel after the load stops) or
    ``seconds`` have passed; the last reconciliation is the answer."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        result = await reconcile(platform, journeys)
        if result.lost == 0 or asyncio.get_running_loop().time() > deadline:
            return result
        await asyncio.sleep(2)
