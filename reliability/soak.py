"""Soak: journeys through every path of the procedure at a rate this machine sustains,
for ``minutes``, then a reconciliation; meanwhile every service process's resident
memory, open file descriptors and PostgreSQL connections are sampled, and their slope
over the run (least squares, per minute) is reported: a leak is a steady climb.

Read from ``/proc`` (Linux): ``status`` for VmRSS, ``fd/`` for descriptors, and the
sockets among them whose peer is PostgreSQL's port (``/proc/net/tcp``) for connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from reliability.load import Driver
from reliability.reconcile import settle
from reliability.report import Report, log
from reliability.stack import Platform

# A slope is a leak when, over the soak, it would add this much per hour.
LIMITS_PER_HOUR = {"rss_mb": 50.0, "fds": 60.0, "db_connections": 10.0}


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _socket_inodes(pid: int) -> tuple[int, set[str]]:
    """(open descriptors, inodes of the sockets among them)."""
    fds, sockets = 0, set()
    for fd in os.scandir(f"/proc/{pid}/fd"):
        fds += 1
        with contextlib.suppress(OSError):
            target = os.readlink(fd.path)
            if target.startswith("socket:["):
                sockets.add(target[8:-1])
    return fds, sockets


def _inodes_to_port(port: int) -> set[str]:
    """Inodes of the TCP sockets (v4 and v6) connected to ``port`` on a peer."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if int(fields[2].rsplit(":", 1)[1], 16) == port and fields[3] == "01":
                    found.add(fields[9])  # ESTABLISHED
    return found


def sample(pids: dict[str, int], db_port: int = 5432) -> dict[str, dict[str, float]]:
    to_db = _inodes_to_port(db_port)
    out = {}
    for name, pid in pids.items():
        with contextlib.suppress(OSError):
            fds, sockets = _socket_inodes(pid)
            out[name] = {"rss_mb": _rss_mb(pid), "fds": fds, "db_connections": len(sockets & to_db)}
    return out


def slope_per_minute(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, value) points, per minute."""
    n = len(points)
    if n < 2:
        return 0.0
    mean_t = sum(t for t, _ in points) / n
    mean_v = sum(v for _, v in points) / n
    var = sum((t - mean_t) ** 2 for t, _ in points)
    if var == 0:
        return 0.0
    return sum((t - mean_t) * (v - mean_v) for t, v in points) / var * 60


@dataclass
class Sampler:
    platform: Platform
    every: float
    series: dict[str, dict[str, list[tuple[float, float]]]] = field(default_factory=dict)

    async def run(self) -> None:
        start = time.monotonic()
        port = int(self.platform.database_url.rsplit(":", 1)[1].split("/")[0])
        while True:
            now = time.monotonic() - start
            for name, values in sample(self.platform.pids(), port).items():
                for metric, value in values.items():
                    self.series.setdefault(name, {}).setdefault(metric, []).append((now, value))
            await asyncio.sleep(self.every)

    def slopes(self) -> dict[str, dict[str, float]]:
        return {
            name: {m: round(slope_per_minute(p), 3) for m, p in metrics.items()}
            for name, metrics in self.series.items()
        }

    def last(self) -> dict[str, dict[str, float]]:
        return {n: {m: p[-1][1] for m, p in ms.items()} for n, ms in self.series.items()}


async def run(platform: Platform, report: Report, *, minutes: float = 10, rate: float = 3) -> None:
    """Soak at ``rate`` journeys a second (all seven paths in turn) for ``minutes``."""
    started = time.monotonic()
    seconds = minutes * 60
    sampler = Sampler(platform, every=max(1.0, seconds / 120))
    sampling = asyncio.create_task(sampler.run())
    driver = Driver(platform, report)
    try:
        await driver.steady(rate, seconds)
        result = await settle(platform, driver.journeys, 120)
    finally:
        sampling.cancel()
        await driver.close()
    slopes = sampler.slopes()
    failures = list(result.details)
    for name, metrics in slopes.items():
        for metric, per_minute in metrics.items():
            if per_minute * 60 > LIMITS_PER_HOUR[metric] and seconds >= 300:
                failures.append(f"{name}: {metric} climbs {per_minute:.3g}/min")
    elapsed = time.monotonic() - started
    achieved = len(driver.journeys) / seconds
    log(f"  soak: {len(driver.journeys)} journeys, slopes per minute {slopes}")
    report.fault(
        "soak",
        **result.figures(),
        failures=failures,
        seconds=round(elapsed, 1),
        rate_per_s=round(achieved, 2),
        minutes=minutes,
        slopes_per_minute=slopes,
        last_sample=sampler.last(),
    )
    report.cases[-1].kind = "soak"
