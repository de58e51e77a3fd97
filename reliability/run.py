"""``make reliability``: the platform on its production backend (PostgreSQL on
127.0.0.1:5432 or ``$DATABASE_URL``, and the Kafka-protocol broker the harness starts,
reached by every service through a TCP proxy), then faults under load, a soak, bad
input, attacks on access and a leak scan; a table per case on stdout and
``reliability/results/latest.json``. Exit status 1 when anything was lost or duplicated
or any case failed.

    python -m reliability.run [--soak-minutes 10] [--only faults,soak,badinput,attacks]
                              [--faults broker_outage,...,old_version_in_flight] [--fast]

Plug-in interface (part B: ``reliability/badinput.py``, ``reliability/attacks.py``)
---------------------------------------------------------------------------------
Each part is a module exposing::

    async def run(stack: reliability.stack.Platform, report: reliability.report.Report) -> None

It is awaited once, after the faults and the soak, before the leak scan, on the same
running platform. It must not stop services it did not start; an exception it raises is
recorded as a failed case named after the module (the run goes on).

``stack`` (``reliability.stack.Platform``) gives:

- ``stack.urls``: ``{"intake": "http://127.0.0.1:port", "regional-decision": ...,
  "residence-decision": ..., "consultation": ..., "onss-feed": ..., "retention": ...}``
- ``stack.tokens``: ``tests.support.Tokens`` signed by the key the platform trusts
  (``.header(Authority.VLG, "officer-1")``, ``.issue(authority=..., subject=..., ttl=...)``,
  ``.employer()``, ``.for_audience("other")``); ``stack.public_key_file``: the PEM of the
  verification key (for the HS256-with-public-key attack).
- ``stack.kafka_bootstrap``: the broker's own address (not proxied), to publish poison
  messages with aiokafka; ``stack.topic("intake")`` -> the namespaced topic name,
  ``stack.group("regional-decision")`` -> the namespaced consumer-group prefix,
  ``stack.dead_letter_topics()`` -> the dead-letter topics that exist now.
- ``stack.database_url``, ``stack.schema("intake")`` (namespaced schema name).
- ``stack.log_dir``: every service's stdout/stderr is in ``<log_dir>/<service>.log``.
- ``await stack.restart("consultation")``, ``stack.kill("intake")`` (SIGKILL).
- ``reliability.load.new_application(report)``: a valid filing form with fresh personal
  values, each registered with ``report.personal`` for the leak scan.

``report`` (``reliability.report.Report``) takes:

- ``report.personal(*values)``: every personal value or reason you submit (NISS, names,
  e-mails, refusal reasons, free text): the leak scan looks for each, literally and in
  base64, in logs, spans, topics, dead-letter topics and error bodies.
- ``report.error_body(where, body)``: every 4xx/5xx body you receive (``where`` says
  which request, e.g. ``"POST intake /applications"``), scanned for leaks at the end.
- ``report.attack(name, refused=..., total=..., failures=[...])``: one row per case
  (``failures``: a short reason per case that was not refused; the case fails when
  ``refused < total`` or ``failures`` is not empty).
- ``report.case(name, ok=..., failures=[...], **figures)``: any other row (figures are
  numbers, shown in the table and kept in the JSON).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import platform as machine
import shutil
import sys
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from reliability import faults, leaks, soak
from reliability.report import RESULTS, Report, log
from reliability.stack import Platform, open_platform

PARTS = ("faults", "soak", "badinput", "attacks")
WORKDIR = Path("var") / "reliability"  # logs of the last run stay here for a look


async def plug_in(name: str, platform: Platform, report: Report) -> None:
    """Part B's modules: ``reliability.<name>.run(stack, report)``, awaited if async."""
    try:
        module = importlib.import_module(f"reliability.{name}")
    except ModuleNotFoundError as error:
        if error.name != f"reliability.{name}":
            raise
        log(f"{name}: not present in this checkout, skipped")
        report.facts.setdefault("skipped", []).append(name)
        return
    started = time.monotonic()
    try:
        result = module.run(platform, report)
        if asyncio.iscoroutine(result):
            await result
    except Exception as error:  # recorded; the rest of the run goes on
        report.case(
            name,
            ok=False,
            kind=name,
            failures=[repr(error)[:500]],
            seconds=round(time.monotonic() - started, 1),
        )


async def part(name: str, work: Coroutine[Any, Any, None], report: Report) -> None:
    """Run one part; an exception is a failed case, and the run goes on."""
    started = time.monotonic()
    try:
        await work
    except Exception as error:
        log(f"!! {name} failed: {error!r}")
        report.case(
            name,
            ok=False,
            kind=name,
            failures=[repr(error)[:500]],
            seconds=round(time.monotonic() - started, 1),
        )


async def main(args: argparse.Namespace) -> Report:
    report = Report()
    report.facts.update(
        started=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        host=machine.node(),
        python=machine.python_version(),
        soak_minutes=args.soak_minutes,
        parts=args.only,
    )
    shutil.rmtree(args.workdir, ignore_errors=True)
    began = time.monotonic()
    async with open_platform(args.workdir) as platform:
        report.facts["namespace"] = platform.namespace
        if "faults" in args.only:
            chosen = args.faults.split(",")
            timing = faults.FAST if args.fast else faults.FULL
            await faults.run(platform, report, timing, only=chosen)
        if "soak" in args.only:
            log(f"soak: {args.soak_minutes} min at {args.rate} journeys/s")
            await part(
                "soak",
                soak.run(platform, report, minutes=args.soak_minutes, rate=args.rate),
                report,
            )
        for name in ("badinput", "attacks"):
            if name in args.only:
                await plug_in(name, platform, report)
        await part("leaks", leaks.run(platform, report), report)
        report.facts["proxy"] = {
            "connections": platform.proxy.connections,
            "refused_while_cut": platform.proxy.refused,
        }
    report.facts["minutes"] = round((time.monotonic() - began) / 60, 1)
    return report


def cli(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reliability.run")
    parser.add_argument("--soak-minutes", type=float, default=10)
    parser.add_argument("--rate", type=float, default=2, help="soak journeys per second")
    parser.add_argument("--only", default=",".join(PARTS), help="comma-separated parts")
    parser.add_argument("--fast", action="store_true", help="short faults (seconds)")
    parser.add_argument(
        "--faults", default=",".join([*faults.FAULTS, "old_version_in_flight"]), help="which"
    )
    parser.add_argument("--workdir", type=Path, default=WORKDIR)
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    args.only = [p for p in args.only.split(",") if p]
    report = asyncio.run(main(args))
    print()
    print(report.table())
    report.write(args.results)
    log(f"{'ok' if report.ok else 'FAILED'}: {args.results} ({report.facts['minutes']} min)")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(cli())
