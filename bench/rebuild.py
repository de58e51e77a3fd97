"""5. Rebuild: replay the whole log into the consultation projections
(``guichet consultation rebuild``) and into the retention schedule (``guichet retention
replay``).

The log is made of real contract events published as the services publish them
(``new_event`` -> ``to_message`` -> a publisher's ``publish``, in batches) on the real
topics of a throw-away namespace: per dossier an ``ApplicationFiled`` v2 whose personal
part is sealed with the dossier's own data key (one key per dossier, wrapped by the
master key and inserted in bulk into the key store, as the vault would have made it),
then the region's and the Immigration Office's decisions (about 3.8 events a dossier).

Each rebuild runs in a fresh process (``python -m bench.rebuild consultation|retention``)
so that its peak RSS (VmHWM) is its own. The rate is the rebuild's work: from its first fetched
batch to the end, less its fixed waits (process start, the consumer group's join, the
quiet polls that tell it the log is read); those are logged. In the bench the quiet
polls wait 0.25 s instead of 1 s (the log does not grow meanwhile), and every run must
have read exactly the events seeded and end on the same digest as the previous run.

The issue names 1,000,000 events; while ``make bench`` must stay under 15 minutes, the
log is sized from a calibration (the first rebuild of each on MINIMUM events) to fit
``BUDGET_S`` per backend, and the peak RSS is also taken on a log 4 times that size.
``BENCH_REBUILD_EVENTS=1000000`` forces the size (the peak RSS is then also taken on a
quarter of it).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import peak_mb, rss_mb
from guichet_contracts.topics import INTAKE_TOPIC, REGIONAL_DECISION_TOPIC, RESIDENCE_DECISION_TOPIC

EVENTS = 1_000_000  # what the issue names
BUDGET_S = 25.0  # per backend: calibration, seeding and every run
# Per run, a rebuild has ~3 s (embedded) to ~6 s (Kafka: group join) of fixed waits, and
# it rebuilds a few hundred events a second: the budget affords little more than MINIMUM.
MINIMUM = 600  # also the calibration's log
MAXIMUM = 20_000
SCALE = 4  # the larger log, for the peak RSS
FORCE = "BENCH_REBUILD_EVENTS"
CHUNK = 1_000  # dossiers sealed, keyed and published per batch
QUIET_POLL_S = 0.25

INTAKE, REGION, OFFICE = (
    INTAKE_TOPIC,
    REGIONAL_DECISION_TOPIC,
    RESIDENCE_DECISION_TOPIC,
)
SOURCES = {
    INTAKE: "/guichet/intake",
    REGION: "/guichet/regional-decision",
    OFFICE: "/guichet/residence-decision",
}


# --- the log -------------------------------------------------------------------------


def _niss(n: int) -> str:
    """A valid NISS (born before 2000): 9 digits, then 97 - (them mod 97)."""
    born = date(1960, 1, 1) + timedelta(days=n % 14_000)
    serial = 1 + (n // 14_000) % 997
    base = f"{born:%y%m%d}{serial:03d}"
    return base + f"{97 - int(base) % 97:02d}"


def _enterprise(n: int) -> str:
    """A valid KBO/BCE number: 8 digits, then 97 - (them mod 97)."""
    base = 4_000_000 + n % 5_000_000
    return f"0{base:07d}{97 - base % 97:02d}"[:10]


def personal_part(n: int) -> dict[str, Any]:
    """What intake seals: the form without its documents, identifiers compact."""
    from guichet_contracts.dossier import SealedDossier
    from tests.support import application_form

    form = application_form(worker_email=f"worker{n}@example.org")
    personal = {key: value for key, value in form.items() if key != "documents"}
    personal["worker"] = {**personal["worker"], "niss": _niss(n), "last_name": f"Worker{n}"}
    personal["employer"] = {**personal["employer"], "enterprise_number": _enterprise(n // 7)}
    # Checked against the contract the readers open it with, as intake does.
    return SealedDossier.model_validate(personal).model_dump(mode="json")


def lifecycle(n: int, dossier_id: uuid.UUID, sealed: Any) -> list[tuple[str, Any, datetime]]:
    """Dossier ``n``'s events: (topic, event, when). By ``n % 10``: 0 just filed,
    1 admissible, 2 work refused, 3 residence refused, 4-8 single permit granted,
    9 a work authorisation alone."""
    from guichet_contracts import (
        ApplicationDeclaredAdmissible,
        ApplicationFiled,
        DocumentReference,
        NegativeDecisionTaken,
        ResidenceAuthorised,
        SinglePermitGranted,
        WorkAuthorised,
    )
    from guichet_contracts.vocabulary import (
        ApplicantCategory,
        ApplicationKind,
        CompetentAuthority,
        DecisionStep,
        DocumentKind,
        FilerRole,
    )

    outcome = n % 10
    regions = ["VLG", "WAL", "BXL", "DG"]
    region = CompetentAuthority(regions[n % 4])
    postcode = {"VLG": "2000", "WAL": "5000", "BXL": "1000", "DG": "4700"}[region.value]
    kind = ApplicationKind.WORK_AUTHORISATION if outcome == 9 else ApplicationKind.SINGLE_PERMIT
    filed_at = datetime(2025, 1, 6, 9, tzinfo=UTC) + timedelta(seconds=37 * n)
    start = filed_at.date() + timedelta(days=120)
    documents = tuple(
        DocumentReference(
            document_id=str(uuid.UUID(int=(n << 8) + i)),
            kind=document_kind,
            media_type="application/pdf",
            size_bytes=180_000 + 1_000 * i,
            sha256=f"{(n << 8) + i:064x}",
        )
        for i, document_kind in enumerate([DocumentKind.PASSPORT, DocumentKind.DIPLOMA])
    )
    events: list[tuple[str, Any, datetime]] = [
        (
            INTAKE,
            ApplicationFiled(
                application_id=dossier_id,
                kind=kind,
                category=ApplicantCategory.EU_BLUE_CARD,
                competent_authority=region,
                workplace_postcode=postcode,
                employer_enterprise_number=_enterprise(n // 7),
                filed_by=FilerRole.EMPLOYER,
                filed_at=filed_at,
                wished_start=start,
                wished_end=start + timedelta(days=730),
                fee_paid=kind is ApplicationKind.SINGLE_PERMIT,
                dossier=sealed,
                documents=documents,
            ),
            filed_at,
        ),
    ]
    if outcome == 0:
        return events
    at = filed_at + timedelta(days=5)
    events.append(
        (
            REGION,
            ApplicationDeclaredAdmissible(
                application_id=dossier_id, authority=region, decided_at=at
            ),
            at,
        )
    )
    if outcome == 1:
        return events
    at = filed_at + timedelta(days=30)
    if outcome == 2:
        events.append(
            (
                REGION,
                NegativeDecisionTaken(
                    application_id=dossier_id,
                    step=DecisionStep.WORK,
                    authority=region,
                    decided_at=at,
                ),
                at,
            )
        )
        return events
    events.append(
        (
            REGION,
            WorkAuthorised(
                application_id=dossier_id,
                authority=region,
                valid_from=start,
                valid_until=start + timedelta(days=730),
                decided_at=at,
            ),
            at,
        )
    )
    if outcome == 9:
        return events
    at = filed_at + timedelta(days=60)
    if outcome == 3:
        events.append(
            (
                OFFICE,
                NegativeDecisionTaken(
                    application_id=dossier_id,
                    step=DecisionStep.RESIDENCE,
                    authority=CompetentAuthority.IMMIGRATION_OFFICE,
                    decided_at=at,
                ),
                at,
            )
        )
        return events
    until = start + timedelta(days=730)
    events.append(
        (
            OFFICE,
            ResidenceAuthorised(
                application_id=dossier_id, valid_from=start, valid_until=until, decided_at=at
            ),
            at,
        )
    )
    events.append(
        (
            OFFICE,
            SinglePermitGranted(
                application_id=dossier_id,
                act_number=f"SP-{n:09d}",
                valid_from=start,
                valid_until=until,
                granted_at=at,
            ),
            at,
        )
    )
    return events


def events_per_dossier() -> float:
    return sum(len(lifecycle(n, uuid.UUID(int=1), None)) for n in range(10)) / 10


class _NewKeys:
    """The key store a seal sees: each dossier's freshly made key (kept to be stored)."""

    def __init__(self) -> None:
        self.keys: dict[str, bytes] = {}

    async def create_key(self, dossier_id: str) -> bytes:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        return self.keys.setdefault(dossier_id, AESGCM.generate_key(bit_length=256))


@dataclass
class Log:
    """A throw-away platform's log: its settings, what is in it, the child's environment."""

    backend: str
    settings: Any  # ServiceSettings
    master_key: Any  # MasterKey
    dossiers: int = 0
    events: int = 0
    env: dict[str, str] = field(default_factory=dict)


def open_log(
    backend: str, directory: Path, url: str | None, bootstrap: str | None, namespace: str
) -> Log:
    from guichet_core.kernel.settings import ServiceSettings
    from guichet_core.stores.vault import MasterKey

    settings = ServiceSettings(
        backend=backend,  # type: ignore[arg-type]
        data_dir=directory,
        database_url=url,
        kafka_bootstrap=bootstrap,
        namespace=namespace,
    )
    master_key = MasterKey.generate()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GUICHET_")}
    env.update(
        GUICHET_BACKEND=backend,
        GUICHET_DATA_DIR=str(directory),
        GUICHET_NAMESPACE=namespace,
        GUICHET_MASTER_KEY=master_key.to_base64(),
        PYTHONUNBUFFERED="1",
    )
    if url:
        env["DATABASE_URL"] = url
    if bootstrap:
        env["KAFKA_BOOTSTRAP"] = bootstrap
    return Log(backend, settings, master_key, env=env)


async def seed(log: Log, dossiers: int) -> float:
    """Add ``dossiers`` dossiers' events to the log; the seconds it took."""
    from guichet_core.kernel.bus.embedded import EmbeddedLog
    from guichet_core.kernel.codec import new_event, to_message
    from guichet_core.service import make_bus
    from guichet_core.stores.shared_stores import open_shared_database
    from guichet_core.stores.vault import PersonalDataVault, data_keys

    began = time.perf_counter()
    settings = log.settings
    keystore = await open_shared_database(settings, "keystore")
    bus = make_bus(settings, client_id="guichet-bench-seed")
    publisher = bus.publisher()
    try:
        await bus.ensure_topics([settings.named(t) for t in (INTAKE, REGION, OFFICE)])
        await publisher.start()
        first = log.dossiers
        for start in range(first, first + dossiers, CHUNK):
            keys = _NewKeys()
            vault = PersonalDataVault(keys)  # type: ignore[arg-type]
            messages = []
            for n in range(start, min(start + CHUNK, first + dossiers)):
                dossier_id = uuid.uuid4()
                sealed = await vault.seal(str(dossier_id), personal_part(n))
                for topic, event, at in lifecycle(n, dossier_id, sealed):
                    messages.append(
                        to_message(
                            new_event(event, now=at),
                            topic=settings.named(topic),
                            source=SOURCES[topic],
                            subject=str(dossier_id),
                        )
                    )
            now = datetime.now(UTC)
            rows = [
                {
                    "dossier_id": dossier_id,
                    "wrapped_key": log.master_key.wrap(dossier_id, key),
                    "master_key_id": log.master_key.key_id,
                    "created_at": now,
                    "shredded_at": None,
                }
                for dossier_id, key in keys.keys.items()
            ]
            async with keystore.begin() as connection:  # the keys before the events
                await connection.execute(data_keys.insert(), rows)
            if isinstance(bus, EmbeddedLog):
                await _append_embedded(bus, messages)
            else:
                for i in range(0, len(messages), 500):
                    await publisher.publish(messages[i : i + 500])
            log.dossiers += len(keys.keys)
            log.events += len(messages)
    finally:
        await publisher.stop()
        with contextlib.suppress(Exception):
            await bus.close()
        await keystore.dispose()
    return time.perf_counter() - began


async def _append_embedded(bus: Any, messages: list[Any]) -> None:
    """The rows ``EmbeddedPublisher.publish`` writes (three statements a message there),
    in one transaction of one insert per topic."""
    from sqlalchemy import select, update

    from guichet_core.kernel.bus.embedded import _encode_headers, _messages, _topics

    engine = await bus.engine()
    now = datetime.now(UTC)
    by_topic: dict[str, list[Any]] = {}
    for message in messages:
        by_topic.setdefault(message.topic, []).append(message)
    async with engine.begin() as connection:
        for topic, batch in by_topic.items():
            query = select(_topics.c.next_offset).where(_topics.c.topic == topic)
            offset = (await connection.execute(query)).scalar_one()
            await connection.execute(
                _messages.insert(),
                [
                    {
                        "topic": topic,
                        "offset": offset + i,
                        "message_key": m.key,
                        "value": m.value,
                        "headers": _encode_headers(m.headers),
                        "appended_at": now,
                    }
                    for i, m in enumerate(batch)
                ],
            )
            await connection.execute(
                update(_topics)
                .where(_topics.c.topic == topic)
                .values(next_offset=offset + len(batch))
            )


# --- one rebuild, in a process of its own ---------------------------------------------


class _Timing:
    """Wraps the rebuild's subscription to see when the log was read."""

    def __init__(self) -> None:
        self.first_data: float | None = None  # end of the first fetch that brought messages
        self.quiet_from: float | None = None  # start of the trailing empty fetches
        self.quiet_until: float | None = None  # end of the last empty fetch
        self.peak_read_mb: float | None = None  # peak RSS once the log was read

    def wrap(self, make_bus: Any) -> Any:
        timing = self

        def timed_bus(*args: Any, **kwargs: Any) -> Any:
            bus = make_bus(*args, **kwargs)
            subscription = bus.subscription

            def timed_subscription(**options: Any) -> Any:
                return _TimedSubscription(subscription(**options), timing)

            bus.subscription = timed_subscription
            return bus

        return timed_bus


class _TimedSubscription:
    def __init__(self, inner: Any, timing: _Timing) -> None:
        self._inner = inner
        self._timing = timing

    async def start(self) -> None:
        await self._inner.start()

    async def stop(self) -> None:
        await self._inner.stop()

    async def commit(self, received: Any) -> None:
        await self._inner.commit(received)

    @property
    def assigned(self) -> bool:
        return bool(self._inner.assigned)

    async def fetch(self, *, max_messages: int = 100, timeout: float = 0.5) -> list[Any]:
        timing = self._timing
        if timing.first_data is not None:
            timeout = min(timeout, QUIET_POLL_S)  # once data flowed, empty means read
        began = time.perf_counter()
        batch: list[Any] = await self._inner.fetch(max_messages=max_messages, timeout=timeout)
        ended = time.perf_counter()
        if batch:
            if timing.first_data is None:
                timing.first_data = ended
            timing.quiet_from = timing.quiet_until = None
        elif timing.first_data is not None:
            if timing.quiet_from is None:
                timing.quiet_from = began
                timing.peak_read_mb = peak_mb()
            timing.quiet_until = ended
        return batch


async def _rebuild(which: str) -> dict[str, Any]:
    timing = _Timing()
    if which == "consultation":
        from guichet_consultation import rebuild as module
        from guichet_consultation.settings import ConsultationSettings

        module.make_bus = timing.wrap(module.make_bus)  # type: ignore[attr-defined]
        work: Any = module.rebuild(ConsultationSettings())
    else:
        from guichet_retention import replay as module  # type: ignore[no-redef]
        from guichet_retention.settings import RetentionSettings

        module.make_bus = timing.wrap(module.make_bus)  # type: ignore[attr-defined]
        work = module.replay(RetentionSettings())  # type: ignore[attr-defined]
    before = rss_mb()
    began = time.perf_counter()
    report = await work
    ended = time.perf_counter()
    if timing.first_data is None or timing.quiet_from is None or timing.quiet_until is None:
        raise RuntimeError(f"the {which} rebuild read nothing")
    seconds = (timing.quiet_from - timing.first_data) + (ended - timing.quiet_until)
    return {
        "events": report.events,
        "seconds": seconds,
        "wall_seconds": ended - began,
        "fixed_seconds": ended - began - seconds,
        "final_seconds": ended - timing.quiet_until,  # after the log was read
        "rss_before_mb": before,
        "peak_rss_mb": peak_mb(),
        "peak_rss_read_mb": timing.peak_read_mb,
        "digest": report.digest,
        "previous_digest": report.previous_digest,
    }


@dataclass
class Run:
    events: int
    seconds: float
    wall_seconds: float
    fixed_seconds: float
    final_seconds: float
    rss_before_mb: float
    peak_rss_mb: float
    peak_rss_read_mb: float
    digest: str
    previous_digest: str | None

    @property
    def rate(self) -> float:
        return self.events / self.seconds


def rebuild_once(log: Log, which: str) -> Run:
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "bench.rebuild", which],
        env=log.env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the {which} rebuild failed:\n{done.stderr[-3000:]}")
    run = Run(**json.loads(done.stdout.strip().splitlines()[-1]))
    if run.events != log.events:
        raise RuntimeError(f"the {which} rebuild read {run.events} events, not {log.events}")
    run.wall_seconds = time.perf_counter() - began  # with the process start
    run.fixed_seconds = run.wall_seconds - run.seconds
    return run


# --- the measurement ------------------------------------------------------------------

SERVICES = {"consultation": "guichet consultation rebuild", "retention": "guichet retention replay"}


def affordable(rates: dict[str, float], fixed_s: float, seed_rate: float, left_s: float) -> int:
    """Events ``n`` such that seeding to SCALE * n, then per service RUNS rebuilds of n
    and one of SCALE * n (each with its fixed waits) fit in ``left_s``."""
    from bench.common import RUNS

    per_event = SCALE / seed_rate + sum((RUNS + SCALE) / rate for rate in rates.values())
    spare = left_s - len(rates) * (RUNS + 1) * fixed_s
    # 2: the calibration's small log rebuilds faster than a larger one (seen: up to 1.8x)
    return int(max(spare, 0.0) / per_event / 2) // 100 * 100


async def _runs(platform: Log, count: int, runs: dict[str, list[Run]]) -> None:
    from bench.common import log

    for _ in range(count):
        for which in SERVICES:
            run = await asyncio.to_thread(rebuild_once, platform, which)
            runs[which].append(run)
            log(
                f"  {which} ({run.events:,} events): {run.rate:,.0f} events/s "
                f"({run.seconds:.1f} s + {run.fixed_seconds:.1f} s fixed), "
                f"peak RSS {run.peak_rss_mb:.0f} MiB"
            )


async def _grow(platform: Log, events: int) -> None:
    from bench.common import log

    dossiers = max(1, round(events / events_per_dossier())) - platform.dossiers
    if dossiers > 0:
        seconds = await seed(platform, dossiers)
        log(
            f"  log of {platform.events:,} events ({platform.dossiers:,} dossiers; "
            f"+{dossiers:,} seeded in {seconds:.1f} s)"
        )


async def measure(
    results: Any,
    backend: str,
    directory: Path,
    *,
    url: str | None = None,
    bootstrap: str | None = None,
    namespace: str = "",
) -> None:
    """Seed a log in ``namespace`` (``directory`` for the embedded files), rebuild it."""
    from bench.common import RUNS, log

    began = time.perf_counter()
    platform = open_log(backend, directory, url, bootstrap, namespace)
    runs: dict[str, list[Run]] = {which: [] for which in SERVICES}
    other: dict[str, list[Run]] = {which: [] for which in SERVICES}
    forced = int(os.environ.get(FORCE, "0"))
    if forced:
        # The forced size is measured; the peak RSS is compared with a quarter of it.
        log(f"rebuild [{backend}]: {FORCE}={forced:,}, a log of a quarter first")
        await _grow(platform, forced // SCALE)
        await _runs(platform, 1, other)
        await _grow(platform, forced)
        await _runs(platform, RUNS, runs)
    else:
        log(f"rebuild [{backend}]: calibration on {MINIMUM:,} events")
        await _grow(platform, MINIMUM)
        seed_rate = platform.events / (time.perf_counter() - began)
        await _runs(platform, 1, runs)  # the first run of the minimum size
        rates = {which: done[0].rate for which, done in runs.items()}
        fixed_s = max(done[0].fixed_seconds for done in runs.values())
        left = BUDGET_S - (time.perf_counter() - began)
        events = min(MAXIMUM, affordable(rates, fixed_s, seed_rate, left))
        if events > platform.events * 1.25:
            runs = {which: [] for which in SERVICES}  # a larger log: runs of its own
            await _grow(platform, events)
        await _runs(platform, RUNS - len(runs["consultation"]), runs)
        measured = platform.events
        await _grow(platform, SCALE * measured)
        await _runs(platform, 1, other)
    measured = runs["consultation"][0].events
    compared = other["consultation"][0].events
    ratio = "4x" if compared > measured else "quarter"
    for which, done in runs.items():
        digests = {run.digest for run in done} | {run.previous_digest for run in done[1:]}
        if len(digests) > 1:
            finding = (
                f"rebuild [{backend}]: {len(digests)} different {which} digests from "
                f"{len(done)} rebuilds of one unchanged log (the rebuilt state depends on "
                "the order its topics were read in)"
            )
            log("  !! " + finding)
            results.notes.append(finding)
    size_note = f"{measured:,} events rebuilt per run" + (
        ""
        if forced
        else f" (not the issue's {EVENTS:,}: sized by a calibration to keep make bench under "
        f"15 minutes; {FORCE}={EVENTS} forces it)"
    )
    for which, title in SERVICES.items():
        done, alone = runs[which], other[which][0]
        fixed_s = sorted(run.fixed_seconds for run in done)[len(done) // 2]
        results.add(
            f"rebuild_{which}_events_per_s",
            backend,
            [run.rate for run in done],
            "events/s",
            f"{title}, real contract events, in a fresh process; {size_note}; timed from its "
            f"first fetched batch, without {fixed_s:.1f} s of fixed waits a run (process "
            f"start, group join, quiet polls); {alone.rate:,.0f} events/s on "
            f"{alone.events:,} events",
        )
        results.add(
            f"rebuild_{which}_peak_rss_mb",
            backend,
            [run.peak_rss_mb for run in done],
            "MiB",
            f"peak RSS of the rebuilding process, {size_note}; "
            f"{alone.peak_rss_mb:.0f} MiB on {alone.events:,} (rebuild_{which}_peak_rss_mb_"
            f"{ratio}); {done[0].rss_before_mb:.0f} MiB before rebuilding",
        )
        results.add(
            f"rebuild_{which}_peak_rss_mb_{ratio}",
            backend,
            [alone.peak_rss_mb],
            "MiB",
            f"the same on a log of {alone.events:,} events, one run ({alone.peak_rss_read_mb:.0f}"
            f" MiB once the log was read; {done[0].peak_rss_read_mb:.0f} MiB on "
            f"{measured:,})",
        )
    log(f"  rebuild [{backend}]: {time.perf_counter() - began:.0f} s in all")


def main() -> None:
    which = sys.argv[1]
    if which not in ("consultation", "retention"):
        raise SystemExit("usage: python -m bench.rebuild consultation|retention")
    try:
        import uvloop  # what the services run on (uvicorn[standard])

        result = uvloop.run(_rebuild(which))
    except ImportError:
        result = asyncio.run(_rebuild(which))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
