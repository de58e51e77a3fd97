"""``guichet``: the platform's command line (later issues add sub-commands).

A command imports only what it uses (issue 11): ``guichet --help`` and ``guichet token
issue`` import no service, FastAPI, SQLAlchemy, aiokafka (nor asyncio). So every import a
command needs is inside it, and the groups of other modules (``token``, and each service's
``guichet.cli`` entry point) are listed by name and imported only when invoked.
"""

from __future__ import annotations

import functools
import importlib
import json
import os
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer import _click  # typer 0.29 vendors click: its groups and contexts are these
from typer.core import TyperGroup

if TYPE_CHECKING:
    from rich.console import Console


class _Unloaded(TyperGroup):
    """A group of another module, listed by name and help until it is invoked."""

    def __init__(
        self, name: str, *, listed_as: str, load: Callable[[], typer.Typer], help: str | None
    ) -> None:
        super().__init__(name=name, help=listed_as)
        self.load, self.loaded_help = load, help

    def loaded(self) -> TyperGroup:
        command = typer.main.get_group(self.load())
        command.name = self.name
        if self.loaded_help is not None:
            command.help = self.loaded_help
        return command


def _other_groups() -> list[_Unloaded]:
    """The token commands, then each service's: services contribute theirs through the
    ``guichet.cli`` entry points, so the core never imports a service."""
    token_help = "Development tokens (never in production)."
    groups = [
        _Unloaded(
            "token",
            listed_as=token_help,
            load=lambda: importlib.import_module("guichet_core.tools.token_cli").token_app,
            help=token_help,
        )
    ]
    for entry in metadata.entry_points(group="guichet.cli"):
        # Its own help would mean importing the service: `guichet <name> --help` shows it.
        listed_as = f"The {entry.name} service's commands (guichet {entry.name} --help)."
        groups.append(_Unloaded(entry.name, listed_as=listed_as, load=entry.load, help=None))
    return groups


class _Guichet(TyperGroup):
    """The root group: its own commands, and the other groups, loaded when resolved (to run
    them, show their help or complete their arguments)."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        for group in _other_groups():
            self.commands.setdefault(str(group.name), group)

    def resolve_command(
        self, ctx: _click.Context, args: list[str]
    ) -> tuple[str | None, _click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if name is not None and isinstance(command, _Unloaded):
            command = self.commands[name] = command.loaded()
        return name, command, rest


app = typer.Typer(
    cls=_Guichet,
    help="Guichet: Belgium's single window for foreign workers.",
    no_args_is_help=True,
)
contracts_app = typer.Typer(help="Event contracts.", no_args_is_help=True)
events_app = typer.Typer(help="Event streams.", no_args_is_help=True)
app.add_typer(contracts_app, name="contracts")
app.add_typer(events_app, name="events")


@functools.cache
def console() -> Console:
    """Where the commands report to the operator (stderr: stdout is for data)."""
    from rich.console import Console

    return Console(stderr=True)


# name, package, default port (in start order: producers before their consumers does not matter,
# consumers wait for topics, but it reads better)
SERVICES = [
    ("intake", "guichet_intake", 8001),
    ("regional-decision", "guichet_regional_decision", 8002),
    ("residence-decision", "guichet_residence_decision", 8003),
    ("onss-feed", "guichet_onss_feed", 8004),
    ("consultation", "guichet_consultation", 8005),
    ("retention", "guichet_retention", 8006),
]


@app.command()
def run(
    startup_timeout: float = typer.Option(60.0, help="Seconds to wait for every /health"),
) -> None:
    """Start all six services (embedded default unless GUICHET_BACKEND says otherwise)."""
    from guichet_core.tools.supervisor import run_services

    run_services(SERVICES, startup_timeout=startup_timeout, console=console())


@app.command()
def demo() -> None:
    """Drive one application through every path against the running platform (make run)."""
    from guichet_core.tools.demo import Demo, run_demo

    outcomes = run_demo(Demo())
    for outcome in outcomes:
        mark = "[green]as expected[/green]" if outcome.ok else "[red]UNEXPECTED[/red]"
        console().print(f"[bold]{outcome.path}[/bold]: {outcome.actual} — {mark}")
        for step in outcome.timeline:
            console().print(f"    {step}")
    if not all(outcome.ok for outcome in outcomes):
        raise typer.Exit(1)


@contracts_app.command("export")
def export_contracts(
    directory: Annotated[Path | None, typer.Option(help="Target directory")] = None,
) -> None:
    """Write the JSON Schema of every event contract (contracts/schemas by default)."""
    from guichet_contracts.schemas import SCHEMA_DIR, export

    for path in export(directory or SCHEMA_DIR):
        console().print(f"wrote {path}")


@events_app.command("tail")
def tail(
    topic: Annotated[list[str], typer.Argument(help="Topics to read, e.g. guichet.intake.v1")],
    follow: Annotated[bool, typer.Option(help="Keep waiting for new messages")] = False,
) -> None:
    """Replay the CloudEvents on topics from the beginning, one JSON object per line."""
    # The bus and the codec only: not the service skeleton (FastAPI, every store).
    import asyncio

    from guichet_core.kernel.bus import make_bus
    from guichet_core.kernel.codec import UndecodableMessage, to_envelope
    from guichet_core.kernel.settings import ServiceSettings

    async def read() -> None:
        bus = make_bus(ServiceSettings(), client_id="guichet-cli")
        group = f"guichet-cli-{os.getpid()}-{time.time_ns()}"
        subscription = bus.subscription(group=group, topics=topic)
        await subscription.start()
        try:
            while True:
                batch = await subscription.fetch(max_messages=500, timeout=1.0)
                for received in batch:
                    try:
                        envelope = to_envelope(received.message).model_dump(mode="json")
                    except UndecodableMessage as error:
                        envelope = {"undecodable": str(error)}
                    line = {"topic": received.message.topic, "offset": received.offset, **envelope}
                    print(json.dumps(line, ensure_ascii=False), flush=True)
                if not batch and not follow:
                    return
        finally:
            await subscription.stop()
            await bus.close()

    asyncio.run(read())


if __name__ == "__main__":
    app()
