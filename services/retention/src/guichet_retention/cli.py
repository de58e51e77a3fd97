"""``guichet retention ...``: replay the schedule, forecast deletions."""

from __future__ import annotations

import asyncio
from datetime import date

import typer
from rich.console import Console
from rich.table import Table

from guichet_retention.settings import RetentionSettings

app = typer.Typer(help="Retention: the deletion schedule of Art. 27.", no_args_is_help=True)
console = Console()


@app.command()
def replay() -> None:
    """Rebuild the whole deletion schedule from the log; report events per second."""
    from guichet_retention.replay import replay as run

    report = asyncio.run(run(RetentionSettings()))
    same = "identical to" if report.digest == report.previous_digest else "differs from"
    console.print(
        f"{report.events} events, {report.dossiers} dossiers in {report.seconds:.1f}s "
        f"({report.events_per_second:,.0f} events/s); schedule digest "
        f"{report.digest[:16]}… {same} the previous one"
    )


@app.command()
def forecast(until: str = typer.Option(..., help="Last day to list, YYYY-MM-DD")) -> None:
    """List what will be deleted until a date, when and why (and what appeals hold)."""
    from guichet_core.kernel.store.database import create_engine
    from guichet_core.service import database_config
    from guichet_retention.bootstrap import SPEC
    from guichet_retention.store import forecast as rows_until

    async def read() -> list[dict[str, object]]:
        settings = RetentionSettings()
        engine = create_engine(database_config(SPEC, settings))
        try:
            async with engine.connect() as connection:
                return await rows_until(connection, date.fromisoformat(until))
        finally:
            await engine.dispose()

    table = Table("dossier", "deleted on", "rule", "why")
    for row in asyncio.run(read()):
        held = " (held by an appeal)" if row["held_by_appeal"] else ""
        table.add_row(
            str(row["dossier_id"]),
            str(row["due_on"] or "—"),
            str(row["rule"] or "—"),
            f"{row['why']}{held}",
        )
    console.print(table)
