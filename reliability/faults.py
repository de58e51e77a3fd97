"""Faults, each under a steady load of journeys through the whole procedure: what was
filed and acknowledged against what every store, topic and projection holds afterwards
(``reliability.reconcile``). Lost and duplicated must be 0 for each.

- ``broker_outage``: every link to the broker cut for ``hold`` s (30 in ``make
  reliability``): Tansu keeps its log in memory, so the outage is its proxy going away.
- ``sigkill_consumer`` / ``sigkill_intake``: SIGKILL mid-batch, then a restart.
- ``link_cut``: only the regional-decision service's link to the broker cut, then back.
- ``pg_terminate``: every connection of the platform to PostgreSQL killed by
  ``pg_terminate_backend``, every second for ``hold`` s.
- ``old_version_in_flight``: filings of the superseded v1 (upcast to v2 on read)
  published on intake's topic while its consumers restart: each must be processed.
"""

from __future__ import annotations

import asyncio
import functools
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from guichet_contracts.events import (
    ApplicantCategory,
    ApplicationFiledV1,
    ApplicationKind,
    FilerRole,
)
from guichet_core.kernel.bus.kafka import KafkaBus
from guichet_core.kernel.codec import new_event, to_message
from reliability.load import Driver
from reliability.reconcile import settle
from reliability.report import Case, Report, log
from reliability.stack import Platform

# The consumer groups that handle a filing (each must process an upcast v1 filing).
FILING_GROUPS = {
    "regional-decision.intake": "regional-decision",
    "residence-decision.dossiers": "residence-decision",
    "consultation.projection": "consultation",
    "onss-feed.links": "onss-feed",
    "retention.schedule": "retention",
}


@dataclass(frozen=True)
class Timing:
    rate: float  # journeys started per second
    load: float  # seconds of load
    at: float  # seconds into the load when the fault starts
    hold: float  # seconds the fault lasts (outages and cuts)
    settle: float  # seconds allowed for the platform to catch up afterwards
    patience: float = 180  # how long a client waits for one answer (retrying)


FULL = Timing(rate=2, load=60, at=15, hold=30, settle=120)
FAST = Timing(rate=2, load=6, at=2, hold=3, settle=45, patience=60)


async def broker_outage(platform: Platform, timing: Timing) -> None:
    await platform.proxy.cut()
    await asyncio.sleep(timing.hold)
    await platform.proxy.restore()


async def sigkill_consumer(platform: Platform, timing: Timing) -> None:
    platform.kill("consultation")
    await platform.start("consultation")


async def sigkill_intake(platform: Platform, timing: Timing) -> None:
    platform.kill("intake")
    await platform.start("intake")


async def link_cut(platform: Platform, timing: Timing) -> None:
    await platform.proxy.cut("regional-decision")
    await asyncio.sleep(timing.hold)
    await platform.proxy.restore("regional-decision")


async def pg_terminate(platform: Platform, timing: Timing) -> None:
    """Kill every backend of the platform's database (the harness's own excepted)."""
    connection = await platform.connect()
    killed = 0
    try:
        for _ in range(max(1, int(timing.hold))):
            killed += await connection.fetchval(
                "select count(pg_terminate_backend(pid)) from pg_stat_activity "
                "where datname = current_database() and pid <> pg_backend_pid() "
                "and backend_type = 'client backend'"
            )
            await asyncio.sleep(1)
    finally:
        await connection.close()
    log(f"  pg_terminate_backend: {killed} connections killed")


FAULTS: dict[str, Callable[[Platform, Timing], Awaitable[None]]] = {
    "broker_outage": broker_outage,
    "sigkill_consumer": sigkill_consumer,
    "sigkill_intake": sigkill_intake,
    "link_cut": link_cut,
    "pg_terminate": pg_terminate,
}


async def under_load(
    platform: Platform,
    report: Report,
    name: str,
    fault: Callable[[], Awaitable[object]],
    timing: Timing,
) -> Case:
    """Run ``fault`` ``timing.at`` seconds into a steady load, then reconcile."""
    started = time.monotonic()
    driver = Driver(platform, report, patience=timing.patience)
    load = asyncio.create_task(driver.steady(timing.rate, timing.load))
    await asyncio.sleep(timing.at)
    log(f"  {name}: fault at {timing.at} s into the load")
    await fault()
    await load
    await driver.close()
    result = await settle(platform, driver.journeys, timing.settle)
    attempts = sum(j.attempts for j in driver.journeys)
    return report.fault(
        name,
        **result.figures(),
        failures=result.details,
        seconds=round(time.monotonic() - started, 1),
        filing_requests=attempts,
        client_errors=sum(len(j.errors) for j in driver.journeys),
    )


async def old_version_in_flight(
    platform: Platform, report: Report, timing: Timing, groups: dict[str, str] | None = None
) -> Case:
    """v1 filings on the topic while the consumers of filings (``groups``: group ->
    service; all of them by default) restart: each group must process each filing."""
    groups = groups or FILING_GROUPS
    started = time.monotonic()
    bus = KafkaBus(platform.kafka_bootstrap, client_id="guichet-reliability")
    publisher = bus.publisher()
    await publisher.start()
    ids: dict[str, str] = {}  # event id: application id
    try:
        messages = []
        for _ in range(max(5, int(timing.rate * timing.load / 2))):
            application = uuid.uuid4()
            event = new_event(
                ApplicationFiledV1(
                    application_id=application,
                    kind=ApplicationKind.WORK_AUTHORISATION,
                    category=ApplicantCategory.SEASONAL_WORKER,
                    competent_authority="WAL",
                    workplace_postcode="5000",
                    filed_by=FilerRole.EMPLOYER,
                    filed_at=datetime.now(UTC),
                )
            )
            ids[str(event.event_id)] = str(application)
            messages.append(
                to_message(
                    event,
                    topic=platform.topic("intake"),
                    source="/guichet/intake",
                    subject=str(application),
                )
            )
        await publisher.publish(messages)
    finally:
        await publisher.stop()
    await asyncio.gather(*(platform.restart(service) for service in set(groups.values())))
    missing: dict[str, set[str]] = {}
    deadline = time.monotonic() + min(timing.settle, 60)
    while True:
        missing = await _unprocessed(platform, set(ids), groups)
        if not any(missing.values()) or time.monotonic() > deadline:
            break
        await asyncio.sleep(2)
    delivered = {g: len(ids) - len(m) for g, m in missing.items()}
    lost = sum(len(m) for m in missing.values())
    failures = [
        f"{g} never processed the v1 filing of {ids[e]}"
        for g, m in missing.items()
        for e in sorted(m)
    ][:20]
    return report.fault(
        "old_version_in_flight",
        filed=len(ids),
        acked=len(ids),
        delivered=delivered,
        duplicated=0,
        lost=lost,
        failures=failures,
        seconds=round(time.monotonic() - started, 1),
    )


async def _unprocessed(
    platform: Platform, event_ids: set[str], groups: dict[str, str]
) -> dict[str, set[str]]:
    connection = await platform.connect()
    try:
        missing = {}
        for group, service in groups.items():
            rows = await connection.fetch(
                f'select event_id from "{platform.schema(service)}".processed_messages '
                "where consumer like $1 and event_id = any($2::text[])",
                platform.group(group) + "%",
                list(event_ids),
            )
            missing[group] = event_ids - {r[0] for r in rows}
        return missing
    finally:
        await connection.close()


async def run(
    platform: Platform, report: Report, timing: Timing = FULL, only: list[str] | None = None
) -> None:
    chosen = only or [*FAULTS, "old_version_in_flight"]
    for name, fault in FAULTS.items():
        if name not in chosen:
            continue
        log(f"fault {name}")
        try:
            await under_load(
                platform, report, name, functools.partial(fault, platform, timing), timing
            )
        except Exception as error:  # recorded; the other faults still run
            report.case(name, ok=False, kind="fault", failures=[repr(error)])
    if "old_version_in_flight" not in chosen:
        return
    log("fault old_version_in_flight")
    try:
        await old_version_in_flight(platform, report, timing)
    except Exception as error:
        report.case("old_version_in_flight", ok=False, kind="fault", failures=[repr(error)])
