"""Synthetic DIMONA, LIMOSA, DmfA and INASTI files for demos and benchmarks.

Realistic and valid: NISS numbers with their 97-modulus check digits (births before and
after 2000), KBO/BCE numbers with theirs, plausible Belgian gross wages per joint
committee, DIMONA entries (and some exits), one DmfA line per worker and quarter
worked, LIMOSA declarations for posted workers, INASTI affiliations for self-employed
people. A configurable share of records is made invalid on purpose (one bad field
each). Files are written record by record: only the workers (not the records) are held.
"""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from guichet_onss_feed.records import FIELDS, Source

# Joint committee: (gross monthly wage range in EUR, typical worker type)
COMMITTEES: dict[str, tuple[int, int]] = {
    "200": (2300, 5200),  # auxiliary committee for employees
    "124": (2500, 3800),  # construction
    "302": (2050, 2800),  # hotels and restaurants
    "330": (2400, 4300),  # health care
    "111": (2700, 4500),  # metal, machine and electrical construction
    "145.04": (2050, 2400),  # horticulture (seasonal)
    "140.03": (2300, 3200),  # road haulage
}
COUNTRIES = ("IN", "TR", "MA", "BR", "US", "PH", "UA", "CN", "RS", "TN")
ACTIVITIES = (
    ("62010", "software development"),
    ("43320", "joinery installation"),
    ("56101", "restaurant"),
    ("74101", "graphic design"),
    ("86210", "general medical practice"),
)


def niss_of(birth: date, counter: int) -> str:
    """A national number: YYMMDD, a counter (odd men, even women), 97 - (n mod 97);
    for births from 2000 the check is computed on 2 followed by the nine digits."""
    base = f"{birth:%y%m%d}{counter:03d}"
    number = int(("2" if birth.year >= 2000 else "") + base)
    return f"{base}{97 - number % 97:02d}"


def enterprise_number_of(serial: int) -> str:
    """A KBO/BCE number: 0 or 1, seven digits, then 97 - (first eight mod 97)."""
    first = f"{serial % 2}{(serial * 7919 + 1234567) % 10_000_000:07d}"
    if first[0] == "0" and first[1] == "0":
        first = first[0] + "4" + first[2:]
    return f"{first}{97 - int(first) % 97:02d}"


@dataclass(frozen=True)
class Plan:
    employers: int = 100
    workers: int = 1000
    quarters: int = 4
    invalid_share: float = 0.0
    seed: int = 2025
    today: date = date(2026, 6, 15)

    def quarter_list(self) -> list[str]:
        year, number = self.today.year, (self.today.month - 1) // 3 + 1
        found = []
        for _ in range(self.quarters):  # the last ``quarters`` completed quarters
            year, number = (year, number - 1) if number > 1 else (year - 1, 4)
            found.append(f"{year}-Q{number}")
        return found[::-1]


@dataclass(frozen=True)
class Worker:
    niss: str
    employer: str
    committee: str
    monthly_wage: int
    entry: date
    exit: date | None
    posted: bool
    self_employed: bool
    worker_type: str


def quarter_start(quarter: str) -> date:
    return date(int(quarter[:4]), 3 * int(quarter[-1]) - 2, 1)


def workers(plan: Plan) -> list[Worker]:
    rng = random.Random(plan.seed)
    employers = [enterprise_number_of(serial) for serial in range(1, plan.employers + 1)]
    first_day = quarter_start(plan.quarter_list()[0])
    span = max((plan.today - first_day).days - 30, 62)
    made: list[Worker] = []
    taken: set[str] = set()
    for _ in range(plan.workers):
        birth = date(1965, 1, 1) + timedelta(days=rng.randrange(0, 365 * 40))
        counter = rng.randrange(1, 998)
        while niss_of(birth, counter) in taken:
            counter = counter % 997 + 1
        taken.add(niss_of(birth, counter))
        committee = rng.choice(list(COMMITTEES))
        low, high = COMMITTEES[committee]
        entry = first_day + timedelta(days=rng.randrange(0, max(span // 2, 1)))
        ended = rng.random() < 0.15
        made.append(
            Worker(
                niss=niss_of(birth, counter),
                employer=rng.choice(employers),
                committee=committee,
                monthly_wage=rng.randrange(low, high, 25),
                entry=entry,
                exit=entry + timedelta(days=rng.randrange(30, span)) if ended else None,
                posted=rng.random() < 0.1,
                self_employed=rng.random() < 0.05,
                worker_type="STU" if committee == "302" and rng.random() < 0.2 else "OTH",
            )
        )
    return made


def dimona(plan: Plan, people: list[Worker]) -> Iterator[dict[str, Any]]:
    for number, worker in enumerate(people):
        entry = {
            "dimona_id": f"D{plan.seed}-{number:08d}",
            "employer": worker.employer,
            "niss": worker.niss,
            "entry_date": worker.entry.isoformat(),
            "joint_committee": worker.committee,
            "worker_type": worker.worker_type,
        }
        yield {**entry, "action": "in"}
        if worker.exit:
            yield {**entry, "action": "out", "exit_date": worker.exit.isoformat()}


def dmfa(plan: Plan, people: list[Worker]) -> Iterator[dict[str, Any]]:
    rng = random.Random(plan.seed + 1)
    for worker in people:
        for quarter in plan.quarter_list():
            start = quarter_start(quarter)
            if worker.entry >= start + timedelta(days=90) or (worker.exit and worker.exit < start):
                continue
            months = 3 if worker.entry <= start else max(1, 3 - (worker.entry.month - 1) % 3)
            days = min(13 * 5, 22 * months - rng.randrange(0, 3))
            wage = Decimal(worker.monthly_wage * months) + Decimal(rng.randrange(0, 9999)) / 100
            yield {
                "quarter": quarter,
                "employer": worker.employer,
                "niss": worker.niss,
                "gross_wage_eur": f"{wage:.2f}",
                "days_worked": str(days),
                "hours_worked": f"{Decimal(days) * Decimal('7.6'):.2f}",
                "joint_committee": worker.committee,
                "worker_type": worker.worker_type,
            }


def limosa(plan: Plan, people: list[Worker]) -> Iterator[dict[str, Any]]:
    rng = random.Random(plan.seed + 2)
    for number, worker in enumerate(w for w in people if w.posted):
        yield {
            "limosa_id": f"L{plan.seed}-{number:08d}",
            "declarant": "employee",
            "niss": worker.niss,
            "sender_name": f"Parent Group {rng.randrange(1, 500)} Ltd",
            "sender_country": rng.choice(COUNTRIES),
            "belgian_user": worker.employer,
            "start_date": worker.entry.isoformat(),
            "end_date": (worker.entry + timedelta(days=365)).isoformat(),
            "workplace_postcode": str(rng.choice((1000, 2000, 3000, 4000, 9000))),
        }


def inasti(plan: Plan, people: list[Worker]) -> Iterator[dict[str, Any]]:
    rng = random.Random(plan.seed + 3)
    for worker in (w for w in people if w.self_employed):
        code, activity = rng.choice(ACTIVITIES)
        yield {
            "niss": worker.niss,
            "start_date": worker.entry.isoformat(),
            "nace_code": code,
            "activity": activity,
        }


SOURCES = {Source.DIMONA: dimona, Source.DMFA: dmfa, Source.LIMOSA: limosa, Source.INASTI: inasti}
CORRUPTIONS: dict[str, tuple[str, str]] = {  # field -> (what, bad value)
    "niss": ("a wrong NISS check digit", "niss"),
    "employer": ("a bad KBO number", "0123456789"),
    "belgian_user": ("a bad KBO number", "1234567890"),
    "entry_date": ("no such date", "2025-02-30"),
    "start_date": ("no such date", "2025-13-01"),
    "gross_wage_eur": ("a negative wage", "-12.50"),
    "joint_committee": ("a bad joint committee", "12"),
    "quarter": ("a bad quarter", "2025-Q5"),
}


def corrupt(record: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """The record with one field made invalid (what a validator must reject)."""
    candidates = [name for name in CORRUPTIONS if name in record]
    name = rng.choice(candidates)
    bad = CORRUPTIONS[name][1]
    if bad == "niss":
        niss = record["niss"]
        bad = niss[:9] + f"{(int(niss[9:]) + 1) % 100:02d}"
    return {**record, name: bad}


def records(plan: Plan, source: Source, people: list[Worker]) -> Iterator[dict[str, Any]]:
    rng = random.Random(plan.seed + 17)
    for record in SOURCES[source](plan, people):
        yield corrupt(record, rng) if rng.random() < plan.invalid_share else record


def write(plan: Plan, out: Path, *, fmt: str = "csv") -> dict[Path, int]:
    """One file per source in ``out`` (``dimona.csv``...), written record by record."""
    out.mkdir(parents=True, exist_ok=True)
    people = workers(plan)
    written: dict[Path, int] = {}
    for source in SOURCES:
        path = out / f"{source.value}.{'csv' if fmt == 'csv' else 'jsonl'}"
        with path.open("w", encoding="utf-8", newline="") as file:
            written[path] = _write(file, source, records(plan, source, people), fmt)
    return written


def _write(file: TextIO, source: Source, rows: Iterator[dict[str, Any]], fmt: str) -> int:
    count = 0
    if fmt == "csv":
        writer = csv.DictWriter(file, fieldnames=FIELDS[source], lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
            count += 1
    else:
        for row in rows:
            file.write(json.dumps(row) + "\n")
            count += 1
    return count
