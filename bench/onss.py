"""ONSS import: a generated 100,000-record file streamed into the onss-feed service
(embedded default, in process), records/s and the resident memory during the import."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from bench.common import Results, log
from guichet_core.kernel.settings import ServiceSettings
from guichet_onss_feed.bench import run as import_run
from guichet_onss_feed.settings import OnssFeedSettings

# The generator's plan yields about 0.89 line per requested record (DIMONA + DmfA
# lines per worker): ask enough that each run imports at least 100,000 records.
RECORDS = 113_000
RUNS = 3


async def measure(results: Results, *, runs: int = RUNS) -> None:
    rates: list[float] = []
    peaks: list[float] = []
    growth: list[float] = []
    imported: list[int] = []
    files = Path(tempfile.mkdtemp(prefix="guichet-bench-onss-files-"))  # generated once
    try:
        for index in range(runs):
            with tempfile.TemporaryDirectory(prefix="guichet-bench-onss-") as directory:
                settings = OnssFeedSettings(
                    **ServiceSettings(
                        backend="embedded", data_dir=Path(directory) / "var"
                    ).model_dump()
                )
                report = await import_run(records=RECORDS, settings=settings, files_dir=files)
            sources = report["sources"].values()
            rates.append(float(report["records_per_second"]))
            imported.append(int(report["records"]))
            peaks.append(max(s["rss_mb_max_during"] for s in sources))
            growth.append(max(s["rss_mb_max_during"] - s["rss_mb_before"] for s in sources))
            log(
                f"onss import run {index + 1}: {report['records']} records, "
                f"{report['records_per_second']} records/s"
            )
    finally:
        shutil.rmtree(files, ignore_errors=True)
    note = (
        f"{min(imported):,}+ generated DIMONA + DmfA records per run, streamed as CSV, "
        "embedded backend"
    )
    results.add("onss_import_records_per_s", "embedded", rates, "records/s", note)
    results.add("onss_import_peak_rss_mb", "embedded", peaks, "MiB", note)
    results.add(
        "onss_import_rss_growth_mb",
        "embedded",
        growth,
        "MiB",
        "resident memory gained during the import: flat means it does not grow with the file",
    )
