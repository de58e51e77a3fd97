"""``guichet``: the platform's command line (later issues add sub-commands)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from importlib import metadata
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from guichet_core.token_cli import token_app

app = typer.Typer(
    help="Guichet: Belgium's single window for foreign workers.", no_args_is_help=True
)
contracts_app = typer.Typer(help="Event contracts.", no_args_is_help=True)
events_app = typer.Typer(help="Event streams.", no_args_is_help=True)
app.add_typer(contracts_app, name="contracts")
app.add_typer(events_app, name="events")
app.add_typer(token_app, name="token", help="Development tokens (never in production).")


def _add_service_commands() -> None:
    """Services contribute sub-commands through the ``guichet.cli`` entry points, so the
    core never imports a service."""
    for entry in metadata.entry_points(group="guichet.cli"):
        app.add_typer(entry.load(), name=entry.name)


_add_service_commands()
console = Console(stderr=True)

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


def _port_of(name: str, default: int) -> int:
    return int(os.environ.get("GUICHET_" + name.upper().replace("-", "_") + "_PORT", default))


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/health", timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@app.command()
def run(
    startup_timeout: float = typer.Option(60.0, help="Seconds to wait for every /health"),
) -> None:
    """Start all six services (embedded default unless GUICHET_BACKEND says otherwise)."""
    backend = os.environ.get("GUICHET_BACKEND", "embedded")
    console.print(f"[bold]Guichet[/bold] on the [cyan]{backend}[/cyan] backend")
    children: list[tuple[str, str, subprocess.Popen[bytes]]] = []
    for name, package, default in SERVICES:
        url = f"http://127.0.0.1:{_port_of(name, default)}"
        # Own session: a terminal's Ctrl-C reaches only us, and we stop each child once
        # (a second SIGINT would make uvicorn skip its graceful shutdown).
        process = subprocess.Popen([sys.executable, "-m", package], start_new_session=True)
        children.append((name, url, process))

    def stop(*_: object) -> None:
        for _name, _url, process in children:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        for _name, _url, process in children:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()

    def interrupted(*_: object) -> None:
        raise KeyboardInterrupt

    # Ctrl-C and a service manager's SIGTERM both stop every service cleanly. SIGINT is
    # set explicitly: a shell starting us in the background leaves it ignored.
    signal.signal(signal.SIGINT, interrupted)
    signal.signal(signal.SIGTERM, interrupted)
    try:
        deadline = time.monotonic() + startup_timeout
        pending = {name for name, _, _ in children}
        while pending and time.monotonic() < deadline:
            for name, url, process in children:
                if process.poll() is not None:
                    console.print(
                        f"[red]{name} stopped during start-up ({process.returncode})[/red]"
                    )
                    raise typer.Exit(1)
                if name in pending and _healthy(url):
                    pending.discard(name)
                    console.print(f"  [green]up[/green] {name:<20} {url}  ({url}/docs)")
            time.sleep(0.2)
        if pending:
            console.print(f"[red]not healthy after {startup_timeout}s: {sorted(pending)}[/red]")
            raise typer.Exit(1)
        console.print("All services are up. Ctrl-C stops them.")
        while all(process.poll() is None for _, _, process in children):
            time.sleep(0.5)
        for name, _, process in children:
            if process.poll() is not None:
                console.print(
                    f"[red]{name} exited with {process.returncode}[/red]; stopping the rest"
                )
    except KeyboardInterrupt:
        console.print("Stopping…")
    finally:
        stop()


@app.command()
def demo() -> None:
    """Drive one application through every path against the running platform (make run)."""
    from guichet_core.demo import Demo, run_demo

    outcomes = run_demo(Demo())
    for outcome in outcomes:
        mark = "[green]as expected[/green]" if outcome.ok else "[red]UNEXPECTED[/red]"
        console.print(f"[bold]{outcome.path}[/bold]: {outcome.actual} — {mark}")
        for step in outcome.timeline:
            console.print(f"    {step}")
    if not all(outcome.ok for outcome in outcomes):
        raise typer.Exit(1)


@contracts_app.command("export")
def export_contracts(
    directory: Annotated[Path | None, typer.Option(help="Target directory")] = None,
) -> None:
    """Write the JSON Schema of every event contract (contracts/schemas by default)."""
    from guichet_contracts.schemas import SCHEMA_DIR, export

    for path in export(directory or SCHEMA_DIR):
        console.print(f"wrote {path}")


@events_app.command("tail")
def tail(
    topic: Annotated[list[str], typer.Argument(help="Topics to read, e.g. guichet.intake.v1")],
    follow: Annotated[bool, typer.Option(help="Keep waiting for new messages")] = False,
) -> None:
    """Replay the CloudEvents on topics from the beginning, one JSON object per line."""
    from guichet_core.codec import UndecodableMessage, to_envelope
    from guichet_core.service import make_bus
    from guichet_core.settings import ServiceSettings

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
