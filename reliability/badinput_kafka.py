"""Poison messages on every topic a service consumes: malformed, oversized, wrongly typed
and of an unknown schema version. Each one goes to the group's dead-letter topic with its
error (STYLE 5: never silently dropped) and the consumer keeps going: valid events
published after them are still processed (the group's counts move on)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

from guichet_contracts import (
    AccessRefused,
    ApplicationFiled,
    DomainEvent,
    DossierPurged,
    ResidenceAuthorised,
    WorkAuthorised,
)
from guichet_contracts.employment import EmploymentDeclared
from guichet_contracts.topics import (
    ACCESS_REFUSALS_TOPIC,
    INTAKE_TOPIC,
    ONSS_FEED_TOPIC,
    REGIONAL_DECISION_TOPIC,
    RESIDENCE_DECISION_TOPIC,
    RETENTION_TOPIC,
)
from guichet_core.kernel.bus.port import BusMessage
from guichet_core.kernel.codec import to_message
from guichet_core.kernel.store.records import NewEvent
from reliability.report import Report
from reliability.target import SERVICE_MODULES, Target, spec_of, until

# Per topic, a type that every group reading it handles (else it is ignored, rightly).
TOPIC_TYPES: dict[str, type[DomainEvent]] = {
    INTAKE_TOPIC: ApplicationFiled,
    REGIONAL_DECISION_TOPIC: WorkAuthorised,
    RESIDENCE_DECISION_TOPIC: ResidenceAuthorised,
    ONSS_FEED_TOPIC: EmploymentDeclared,
    RETENTION_TOPIC: DossierPurged,
    ACCESS_REFUSALS_TOPIC: AccessRefused,
}
# Topics on which a valid event follows the poison (filing, decisions, an appeal).
DRIVEN = {INTAKE_TOPIC, REGIONAL_DECISION_TOPIC, RETENTION_TOPIC}


def consumers(target: Target) -> Iterator[tuple[str, str, str]]:
    """(service, group, topic) of every group of the running services, purge included."""
    for service in SERVICE_MODULES:
        if service not in target.clients:
            continue
        spec = spec_of(service)
        for subscription in spec.subscriptions:
            for topic in subscription.topics:
                yield service, subscription.group, topic
        if service != "retention":
            yield service, f"{service}.purge", RETENTION_TOPIC


def poison_for(topic: str, named: str) -> dict[str, BusMessage]:
    """The four poison messages for ``topic`` (``named``: its name in the namespace)."""
    kind = TOPIC_TYPES[topic]
    key = str(uuid.uuid4())

    def event(data: dict[str, Any], version: int = kind.schema_version) -> BusMessage:
        new = NewEvent(
            event_id=uuid.uuid4(),
            event_type=kind.event_type,
            schema_version=version,
            data=data,
            occurred_at=datetime.now(UTC),
            metadata={},
        )
        return to_message(new, topic=named, source="/reliability/poison", subject=key)

    typed = {"application_id": 12345, "competent_authority": ["VLG"], "filed_at": True}
    return {
        "malformed": BusMessage(
            topic=named,
            key=key.encode(),
            value=b"\x00\xff{not json",
            headers=(("ce_type", b"\xff"),),
        ),
        "oversized": event({"application_id": key, "padding": "x" * 700_000}),
        "wrongly typed": event(typed),
        "unknown version": event({"application_id": key}, version=99),
    }


async def counts(target: Target, groups: list[tuple[str, str, str]]) -> dict[str, dict[str, int]]:
    """Each group's consumer counts, from its service's /health (the group's name there is
    namespaced, and may carry a suffix such as retention's store epoch)."""
    found: dict[str, dict[str, int]] = {}
    for service, client in target.clients.items():
        health = (await client.get("/health")).json()
        for name, stats in health.get("consumers", {}).items():
            for owner, group, _ in groups:
                wanted = target.named(group)
                if owner == service and (name == wanted or name.startswith(wanted + ".")):
                    found[group] = stats
    return found


async def poison(target: Target, report: Report) -> None:
    if target.kafka_bootstrap is None:
        return
    from guichet_core.kernel.bus.kafka import KafkaBus

    groups = list(consumers(target))
    before = await counts(target, groups)
    topics = sorted({topic for _, _, topic in groups})
    bus = KafkaBus(target.kafka_bootstrap, client_id="reliability-poison")
    publisher = bus.publisher()
    await publisher.start()
    try:
        for topic in topics:
            await publisher.publish(list(poison_for(topic, target.named(topic)).values()))
    finally:
        await publisher.stop()
        await bus.close()
    await _valid_events_after(target, report)
    expected = {
        (s, g): 4 * sum(1 for s2, g2, _ in groups if (s2, g2) == (s, g)) for s, g, _ in groups
    }

    async def settled() -> bool:
        now = await counts(target, groups)
        return all(_moved(before, now, g) >= 1 for s, g, t in groups if t in DRIVEN) and all(
            _delta(before, now, g, "dead_lettered") >= n for (s, g), n in expected.items()
        )

    with contextlib.suppress(AssertionError):  # the figures below say which group did not
        await until(settled, "every poison message is dead-lettered", seconds=60)
    now = await counts(target, groups)
    failures, letters = [], 0
    for (service, group), wanted in sorted(expected.items()):
        got = _delta(before, now, group, "dead_lettered")
        letters += min(got, wanted)
        if got < wanted:
            failures.append(f"{group}: {got} of {wanted} poison messages dead-lettered")
        topics_of = {t for s, g, t in groups if (s, g) == (service, group)}
        if topics_of & DRIVEN and _moved(before, now, group) < 1:
            failures.append(f"{group}: processed nothing after the poison messages")
    report.attack(
        "poison messages on every consumed topic (dead-lettered, consumer goes on)",
        refused=letters,
        total=sum(expected.values()),
        failures=failures,
    )


def _moved(before: Any, now: Any, group: str) -> int:
    return sum(_delta(before, now, group, k) for k in ("handled", "duplicates", "ignored"))


def _delta(before: Any, now: Any, group: str, key: str) -> int:
    return int(now.get(group, {}).get(key, 0)) - int(before.get(group, {}).get(key, 0))


async def _valid_events_after(target: Target, report: Report) -> None:
    """A filing (intake topic), an admissibility and a work refusal (region's topic) and
    an appeal (retention's topic), all published after the poison."""
    filed = await target.file(report)
    await target.everywhere(filed)
    await target.refuse_work(filed)
    retention = target.clients.get("retention")
    if retention is None:
        return
    body = {"appeal_id": "RvV-after-poison", "step": "work", "lodged_on": date.today().isoformat()}
    headers = target.tokens.header(filed.region, "officer-1")
    statuses = []
    for _ in range(10):  # retention's consumer may be appending to the dossier's stream
        path = f"/dossiers/{filed.dossier}/appeals"
        answer = await retention.post(path, json=body, headers=headers)
        statuses.append(answer.status_code)
        if answer.status_code == 201:
            break
        report.error_body("POST retention appeals (after the poison)", answer.content)
        await asyncio.sleep(0.5)
    if any(status >= 500 for status in statuses):  # issue 12 item 6, on retention's stream
        report.case(
            "an appeal racing retention's consumer gets a 409, not a 500",
            ok=False,
            kind="badinput",
            failures=[f"answers: {statuses}"],
        )
    if statuses[-1] != 201:
        raise RuntimeError(f"the appeal after the poison gave {statuses}")
