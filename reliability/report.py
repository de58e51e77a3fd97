"""What a reliability run found: a row per case, the values the leak scan must not find,
the error bodies it collected; a table on stdout and ``results/latest.json``."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"
COLUMNS = ("filed", "acked", "delivered", "duplicated", "lost")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


@dataclass
class Case:
    name: str
    kind: str  # fault | soak | leaks | badinput | attack | other
    ok: bool
    figures: dict[str, Any] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class Report:
    cases: list[Case] = field(default_factory=list)
    secrets: set[str] = field(default_factory=set)  # personal values and reasons submitted
    error_bodies: list[tuple[str, bytes]] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)

    def personal(self, *values: str) -> None:
        """Values the leak scan looks for (literally and in base64)."""
        self.secrets.update(v for v in values if v and len(v) >= 5)

    def error_body(self, where: str, body: bytes | str) -> None:
        data = body.encode() if isinstance(body, str) else body
        self.error_bodies.append((where, data[:65536]))

    def case(
        self,
        name: str,
        *,
        ok: bool,
        kind: str = "other",
        failures: list[str] | None = None,
        seconds: float = 0.0,
        **figures: Any,
    ) -> Case:
        case = Case(name, kind, ok and not failures, figures, list(failures or []), seconds)
        self.cases.append(case)
        log(f"{'ok  ' if case.ok else 'FAIL'} {name}: {_figures(figures)}")
        for failure in case.failures[:10]:
            log(f"       - {failure}")
        return case

    def fault(
        self,
        name: str,
        *,
        filed: int,
        acked: int,
        delivered: dict[str, int],
        duplicated: int,
        lost: int,
        failures: list[str],
        seconds: float,
        **more: Any,
    ) -> Case:
        """A fault case: lost and duplicated must be 0 (counted by reconciliation), and
        every filing acknowledged in the end (the client retries)."""
        ok = lost == 0 and duplicated == 0 and acked == filed
        if acked < filed:
            failures = [f"{filed - acked} filings never acknowledged", *failures]
        return self.case(
            name,
            ok=ok,
            kind="fault",
            failures=failures,
            seconds=seconds,
            filed=filed,
            acked=acked,
            delivered=delivered,
            duplicated=duplicated,
            lost=lost,
            **more,
        )

    def attack(
        self,
        name: str,
        *,
        refused: int,
        total: int,
        failures: list[str] | None = None,
        **more: Any,
    ) -> Case:
        return self.case(
            name,
            ok=refused == total,
            kind="attack",
            failures=failures,
            refused=refused,
            total=total,
            **more,
        )

    @property
    def ok(self) -> bool:
        return bool(self.cases) and all(c.ok for c in self.cases)

    def table(self) -> str:
        lines = [
            f"{'case':<44} {'result':<6} {'filed':>6} {'acked':>6} {'delivered (min)':>15} "
            f"{'dup':>4} {'lost':>5}  other",
            "-" * 110,
        ]
        for c in self.cases:
            f = c.figures
            delivered = f.get("delivered")
            low = min(delivered.values()) if isinstance(delivered, dict) and delivered else ""
            if "refused" in f:
                cells = (
                    f"{'':>6} {'':>6} {'':>15} {'':>4} {'':>5}  refused {f['refused']}/{f['total']}"
                )
            else:
                rest = {k: v for k, v in f.items() if k not in COLUMNS}
                cells = (
                    f"{f.get('filed', ''):>6} {f.get('acked', ''):>6} {low:>15} "
                    f"{f.get('duplicated', ''):>4} {f.get('lost', ''):>5}  {_figures(rest)}"
                )
            lines.append(f"{c.name[:44]:<44} {'ok' if c.ok else 'FAIL':<6} {cells}")
        return "\n".join(lines)

    def write(self, path: Path = RESULTS) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        body = {
            "ok": self.ok,
            "facts": self.facts,
            "cases": [asdict(c) for c in self.cases],
            "values_scanned_for": len(self.secrets),
            "error_bodies_collected": len(self.error_bodies),
        }
        path.write_text(json.dumps(body, indent=2, default=str) + "\n", encoding="utf-8")


def _figures(figures: dict[str, Any]) -> str:
    parts = []
    for key, value in figures.items():
        if isinstance(value, dict):
            value = ",".join(f"{k}={v}" for k, v in value.items())
        elif isinstance(value, float):
            value = f"{value:.3g}"
        parts.append(f"{key}={value}")
    return " ".join(parts)
