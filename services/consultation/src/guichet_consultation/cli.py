"""``guichet consultation ...``: the consultation service's commands."""

from __future__ import annotations

import asyncio

import typer
from rich.console import Console

from guichet_consultation.policy import POLICY
from guichet_consultation.register import register_markdown
from guichet_consultation.settings import ConsultationSettings

app = typer.Typer(help="Consultation: projections, access policy.", no_args_is_help=True)
console = Console(stderr=True)


@app.command()
def rebuild() -> None:
    """Replay every topic into fresh projection tables and switch reads to them."""
    from guichet_consultation.rebuild import rebuild as run

    report = asyncio.run(run(ConsultationSettings()))
    console.print(
        f"generation {report.generation} active: {report.events} events replayed in "
        f"{report.seconds:.1f}s ({report.events_per_second:,.0f} events/s); "
        f"retired {report.retired or 'none'}"
    )
    same = report.previous_digest == report.digest
    console.print(
        f"digest {report.digest[:16]}… {'identical to' if same else 'differs from'} "
        "the previous generation's"
    )


@app.command()
def policy() -> None:
    """Print the register of access rights (Art. 16 §2)."""
    print(register_markdown(POLICY))
