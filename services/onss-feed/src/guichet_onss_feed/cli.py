"""``guichet onss ...``: synthetic DIMONA / LIMOSA / DmfA / INASTI files, streamed imports."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.console import Console

from guichet_onss_feed.generator import Plan, write
from guichet_onss_feed.records import Source

app = typer.Typer(help="ONSS / INASTI feed: synthetic files, imports.", no_args_is_help=True)
console = Console(stderr=True)
CHUNK = 64 * 1024


class Format(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"


@app.command()
def generate(
    employers: Annotated[int, typer.Option(min=1, help="Employers (KBO numbers)")] = 100,
    workers: Annotated[int, typer.Option(min=1, help="Workers (NISS numbers)")] = 1000,
    quarters: Annotated[int, typer.Option(min=1, max=40, help="DmfA quarters")] = 4,
    invalid_share: Annotated[float, typer.Option(min=0.0, max=1.0)] = 0.02,
    fmt: Annotated[Format, typer.Option("--format")] = Format.CSV,
    out: Annotated[Path, typer.Option(help="Directory of the files")] = Path("var/onss"),
    seed: Annotated[int, typer.Option(help="Same seed, same files")] = 2025,
) -> None:
    """Write dimona, dmfa, limosa and inasti files of valid (and some invalid) records."""
    plan = Plan(
        employers=employers,
        workers=workers,
        quarters=quarters,
        invalid_share=invalid_share,
        seed=seed,
        today=date.today(),
    )
    for path, count in write(plan, out, fmt=fmt.value).items():
        console.print(f"{path}: {count:,} records")


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as file:
        while chunk := file.read(CHUNK):
            yield chunk


@app.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    source: Annotated[Source, typer.Option(help="dimona, limosa, dmfa or inasti")],
    url: Annotated[str, typer.Option(help="The onss-feed service")] = "http://127.0.0.1:8004",
    token: Annotated[str, typer.Option(envvar="GUICHET_TOKEN", help="An ONSS/INASTI token")] = "",
) -> None:
    """Stream a CSV or JSON-lines file to ``POST /imports/{source}``."""
    media = "text/csv" if file.suffix == ".csv" else "application/x-ndjson"
    headers = {"content-type": media, "authorization": f"Bearer {token}"}
    response = httpx.post(
        f"{url}/imports/{source.value}", content=_chunks(file), headers=headers, timeout=None
    )
    print(json.dumps(response.json(), indent=2))
    if response.status_code != 200:
        raise typer.Exit(1)


@app.command()
def bench(
    records: Annotated[int, typer.Option(help="About how many records to import")] = 100_000,
    linked_share: Annotated[float, typer.Option(help="Share of workers with a dossier")] = 0.1,
) -> None:
    """Generate and import a DmfA + DIMONA file in process; print records/s and memory."""
    from guichet_onss_feed.bench import run

    report = asyncio.run(run(records=records, linked_share=linked_share))
    print(json.dumps(report, indent=2))
