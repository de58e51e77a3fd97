"""``make bench``: every measurement on PostgreSQL + Kafka and on the embedded default,
a table on stdout and ``bench/results/latest.json``.

    python -m bench.run [--backend postgres-kafka|embedded|all]

Each figure's value is the median of its runs (listed in ``runs``). Targets are checked
and printed, never asserted: a missed target is a finding, not a failure of the bench.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

from bench import append, consultation, e2e, filing, onss, rebuild, replay
from bench.common import RUNS, Results, kafka_bootstrap, log, machine_facts, unique
from bench.common import postgres_url as find_postgres
from bench.stack import running_stack
from guichet_core.testing.database import drop_schemas

RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"

# (figure, backend, comparison, bound, what the issue asks)
TARGETS = [
    ("filing_http_per_s", "postgres-kafka", ">=", 500, "filing over HTTP >= 500 applications/s"),
    (
        "append_ratio_vs_eventsourcing",
        "postgres-kafka",
        ">=",
        3.0,
        "append >= 3x the eventsourcing library's streams/s",
    ),
    ("append_ratio_vs_raw", "postgres-kafka", ">=", 0.5, "append within 2x of raw asyncpg"),
    (
        "e2e_filed_to_region_p99_ms",
        "postgres-kafka",
        "<=",
        250,
        "end to end p99 <= 250 ms at 100 applications/s (filed -> region)",
    ),
    (
        "e2e_decision_to_office_p99_ms",
        "postgres-kafka",
        "<=",
        250,
        "end to end p99 <= 250 ms at 100/s (decision -> office)",
    ),
    (
        "e2e_visible_p99_ms",
        "postgres-kafka",
        "<=",
        250,
        "end to end p99 <= 250 ms at 100 applications/s (filed -> visible in consultation)",
    ),
    (
        "consultation_read_p99_ms",
        "postgres-kafka",
        "<=",
        20,
        "consultation read p99 <= 20 ms at 200 requests/s",
    ),
    ("replay_events_per_s", "postgres-kafka", ">=", 50_000, "replay >= 50,000 events/s"),
]


async def section(results: Results, name: str, work: Any) -> None:
    """Run one measurement; a failure is recorded and the others still run."""
    try:
        await work
    except Exception as error:
        log(f"!! {name} failed: {error!r}")
        traceback.print_exc()
        results.notes.append(f"FAILED {name}: {error!r}")


async def postgres_kafka(results: Results, directory: Path, url: str, namespace: str) -> None:
    await section(results, "append (postgres)", append.postgres(results, url, namespace))
    log("starting Kafka-protocol broker and the services (PostgreSQL + Kafka)")
    with (
        kafka_bootstrap() as bootstrap,
        running_stack(
            "postgres-kafka",
            directory / "pg",
            database_url=url,
            kafka_bootstrap=bootstrap,
            namespace=namespace + "s_",
        ) as stack,
    ):
        await section(results, "filing (postgres-kafka)", filing.measure(results, stack))
        await section(results, "end to end (postgres-kafka)", e2e.measure(results, stack))
        await section(
            results,
            "consultation reads (postgres-kafka)",
            consultation.measure(results, stack),
        )
    await section(
        results,
        "replay (postgres)",
        replay.measure(results, "postgres-kafka", url, namespace + "replay"),
    )
    with kafka_bootstrap() as bootstrap:
        await section(
            results,
            "rebuild (postgres-kafka)",
            rebuild.measure(
                results,
                "postgres-kafka",
                directory / "rebuild-pg",
                url=url,
                bootstrap=bootstrap,
                namespace=namespace + "rebuild_",
            ),
        )


async def embedded(results: Results, directory: Path) -> None:
    await section(results, "append (embedded)", append.embedded(results, directory))
    log("starting the services (embedded: SQLite + embedded log)")
    with running_stack("embedded", directory / "embedded") as stack:
        await section(results, "filing (embedded)", filing.measure(results, stack))
        await section(results, "end to end (embedded)", e2e.measure(results, stack))
        await section(
            results, "consultation reads (embedded)", consultation.measure(results, stack)
        )
    file = directory / "replay.sqlite3"
    await section(
        results, "replay (embedded)", replay.measure(results, "embedded", f"sqlite:///{file}", "")
    )
    await section(
        results, "rebuild (embedded)", rebuild.measure(results, "embedded", directory / "rebuild")
    )
    await section(results, "onss import (embedded)", onss.measure(results))


def check_targets(results: Results) -> list[dict[str, Any]]:
    found = {(f.name, f.backend): f.value for f in results.figures}
    checks = []
    for name, backend, comparison, bound, what in TARGETS:
        value = found.get((name, backend))
        met = None if value is None else (value >= bound if comparison == ">=" else value <= bound)
        checks.append(
            {
                "target": what,
                "figure": name,
                "backend": backend,
                "bound": f"{comparison} {bound}",
                "value": value,
                "met": met,
            }
        )
    return checks


def table(results: Results) -> str:
    backends = ["postgres-kafka", "embedded"]
    names = list(dict.fromkeys(f.name for f in results.figures))
    values = {(f.name, f.backend): f for f in results.figures}
    lines = [
        "| figure | unit | " + " | ".join(backends) + " |",
        "|---|---|" + "---:|" * len(backends),
    ]
    for name in names:
        unit = next(f.unit for f in results.figures if f.name == name)
        cells = []
        for backend in backends:
            figure = values.get((name, backend))
            cells.append("—" if figure is None else f"{figure.value:,.{_digits(figure.value)}f}")
        lines.append(f"| `{name}` | {unit} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _digits(value: float) -> int:
    return 2 if abs(value) < 10 else 1 if abs(value) < 100 else 0


async def main(backends: list[str]) -> int:
    started = time.perf_counter()
    results = Results()
    directory = Path(tempfile.mkdtemp(prefix="guichet-bench-"))
    url = find_postgres() if "postgres-kafka" in backends else None
    namespace = unique("bench_") + "_"
    facts = await asyncio.to_thread(machine_facts, url)
    log(
        f"Guichet bench: {facts['cpu_count']} x {facts['cpu_model']}, {facts['memory_gib']} GiB, "
        f"Python {facts['python']}, PostgreSQL {facts.get('postgres', '-')}; {RUNS} runs each"
    )
    try:
        if "postgres-kafka" in backends:
            assert url is not None
            await postgres_kafka(results, directory, url, namespace)
        if "embedded" in backends:
            await embedded(results, directory)
    finally:
        if url:
            await drop_schemas(url, namespace)
        shutil.rmtree(directory, ignore_errors=True)
    checks = check_targets(results)
    elapsed = time.perf_counter() - started
    document = {
        "command": "make bench",
        "machine": facts,
        "duration_s": round(elapsed),
        "figures": results.as_json(),
        "targets": checks,
        "notes": [*results.notes, replay.NOTE],
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(document, indent=2) + "\n")
    print()
    print(table(results))
    print()
    for check in checks:
        verdict = {True: "met", False: "MISSED", None: "not measured"}[check["met"]]
        print(f"  target {check['target']}: {check['value']} ({verdict})")
    print(f"\nwrote {RESULTS} in {elapsed / 60:.1f} min")
    return 1 if any(n.startswith("FAILED") for n in results.notes) else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["postgres-kafka", "embedded", "all"], default="all")
    arguments = parser.parse_args()
    chosen = ["postgres-kafka", "embedded"] if arguments.backend == "all" else [arguments.backend]
    sys.exit(asyncio.run(main(chosen)))
