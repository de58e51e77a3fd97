"""Import throughput: a generated file streamed to an in-process onss-feed, with memory.

``run(records=100_000)`` generates DmfA + DIMONA records for enough workers, links a
share of the workers to dossiers (as the intake consumer would), streams the files to
``POST /imports/{source}`` over ASGI and reports records/s and the resident memory before
and after (sampled during the import). ``bench.run`` (``make bench``) may call it.
"""

from __future__ import annotations

import contextlib
import json
import resource
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx

from guichet_contracts.vocabulary import Authority
from guichet_core.http.auth import DevTokenIssuer
from guichet_core.stores.blind_index import blind_index_for
from guichet_onss_feed.bootstrap import SPEC
from guichet_onss_feed.generator import Plan, workers, write
from guichet_onss_feed.settings import OnssFeedSettings
from guichet_onss_feed.tables import dossier_links


def rss_mb() -> float:
    """Current resident set size in MiB (Linux), else the peak."""
    with contextlib.suppress(OSError):
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * resource.getpagesize() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def stream(path: Path, samples: list[float]) -> AsyncIterator[bytes]:
    with path.open("rb") as file:
        while chunk := file.read(64 * 1024):
            samples.append(rss_mb())
            yield chunk


async def run(
    *,
    records: int = 100_000,
    linked_share: float = 0.1,
    settings: OnssFeedSettings | None = None,
    files_dir: Path | None = None,
) -> dict[str, Any]:
    """One import; ``files_dir`` keeps the generated files for the next run (the plan is
    seeded, so every run of the same size imports the same files)."""
    from fastapi import FastAPI

    from guichet_core.service import create_app

    with tempfile.TemporaryDirectory() as directory:
        settings = settings or OnssFeedSettings(backend="embedded", data_dir=Path(directory))
        plan = Plan(
            employers=max(records // 200, 5),
            workers=max(records // 5, 10),
            quarters=4,
            invalid_share=0.01,
            today=date.today(),
        )
        files = _files(plan, files_dir or Path(directory) / "files")
        app: FastAPI = create_app(SPEC, settings)
        token = DevTokenIssuer.from_settings(settings).issue(
            subject="onss-bench", authority=Authority.ONSS, agent_id="bench"
        )
        report: dict[str, Any] = {"backend": settings.backend, "sources": {}}
        async with app.router.lifespan_context(app):
            await _link(app, plan, linked_share)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://feed") as client:
                for path, count in files.items():
                    if path.stem in ("dmfa", "dimona"):
                        report["sources"][path.stem] = await _import(client, path, count, token)
        total = sum(s["records"] for s in report["sources"].values())
        seconds = sum(s["seconds"] for s in report["sources"].values())
        report["records"], report["records_per_second"] = total, round(total / seconds)
        return report


async def _import(client: httpx.AsyncClient, path: Path, count: int, token: str) -> dict[str, Any]:
    """One file streamed to the feed: its throughput, outcome and resident memory."""
    samples: list[float] = []
    started, before = time.perf_counter(), rss_mb()
    response = await client.post(
        f"/imports/{path.stem}",
        content=stream(path, samples),
        timeout=None,
        headers={"content-type": "text/csv", "authorization": f"Bearer {token}"},
    )
    seconds = time.perf_counter() - started
    answer = response.json()
    return {
        "records": count,
        "seconds": round(seconds, 2),
        "records_per_second": round(count / seconds),
        "events": answer["events"],
        "unlinked": answer["unlinked"],
        "rejected": answer["rejected_total"],
        "rss_mb_before": round(before, 1),
        "rss_mb_max_during": round(max(samples, default=before), 1),
        "file_mb": _megabytes(path),
    }


def _megabytes(path: Path) -> float:
    return round(path.stat().st_size / 2**20, 1)


def _files(plan: Plan, directory: Path) -> dict[Path, int]:
    done = directory / f"plan-{plan.seed}-{plan.workers}.json"
    if done.exists():
        return {directory / name: count for name, count in json.loads(done.read_text()).items()}
    files = write(plan, directory)
    done.write_text(json.dumps({path.name: count for path, count in files.items()}))
    return files


async def _link(app: Any, plan: Plan, share: float) -> None:
    """Dossiers for a share of the workers, as the intake consumer would have linked them."""
    runtime = app.state.runtime
    index = blind_index_for(runtime.settings)
    people = workers(plan)
    rows = [
        {
            "dossier_id": str(uuid.uuid4()),
            "niss_index": index.of(w.niss),
            "employer": w.employer,
            "kind": "single_permit",
            "category": "general",
            "linked_at": datetime.now(UTC),
        }
        for w in people[: int(len(people) * share)]
    ]
    async with runtime.engine.begin() as connection:
        for start in range(0, len(rows), 1000):
            await connection.execute(dossier_links.insert(), rows[start : start + 1000])
    # intake created each dossier's key when it was filed
    await runtime.vault.create_keys([row["dossier_id"] for row in rows])
