"""``guichet run``: start the six services as child processes, report each as it answers
``/health``, and stop them all once, cleanly, on Ctrl-C, SIGTERM or the exit of one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterable
from typing import NamedTuple

import typer
from rich.console import Console


class Child(NamedTuple):
    name: str
    url: str
    process: subprocess.Popen[bytes]


def run_services(
    services: Iterable[tuple[str, str, int]], *, startup_timeout: float, console: Console
) -> None:
    """Start ``(name, package, default port)`` services; return when they have stopped."""
    backend = os.environ.get("GUICHET_BACKEND", "embedded")
    console.print(f"[bold]Guichet[/bold] on the [cyan]{backend}[/cyan] backend")
    children = [_start(name, package, default) for name, package, default in services]
    _interrupt_on_signals()
    try:
        _wait_until_healthy(children, startup_timeout, console)
        console.print("All services are up. Ctrl-C stops them.")
        _watch(children, console)
    except KeyboardInterrupt:
        console.print("Stopping…")
    finally:
        _stop(children)


def port_of(name: str, default: int) -> int:
    return int(os.environ.get("GUICHET_" + name.upper().replace("-", "_") + "_PORT", default))


def _start(name: str, package: str, default: int) -> Child:
    url = f"http://127.0.0.1:{port_of(name, default)}"
    # Own session: a terminal's Ctrl-C reaches only us, and we stop each child once
    # (a second SIGINT would make uvicorn skip its graceful shutdown).
    process = subprocess.Popen([sys.executable, "-m", package], start_new_session=True)
    return Child(name, url, process)


def _interrupt_on_signals() -> None:
    """Ctrl-C and a service manager's SIGTERM both stop every service cleanly. SIGINT is
    set explicitly: a shell starting us in the background leaves it ignored."""

    def interrupted(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupted)
    signal.signal(signal.SIGTERM, interrupted)


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/health", timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def _wait_until_healthy(children: list[Child], timeout: float, console: Console) -> None:
    """Report each service as it answers; exit 1 if one stops or some are late."""
    deadline = time.monotonic() + timeout
    pending = {child.name for child in children}
    while pending and time.monotonic() < deadline:
        for name, url, process in children:
            if process.poll() is not None:
                console.print(f"[red]{name} stopped during start-up ({process.returncode})[/red]")
                raise typer.Exit(1)
            if name in pending and _healthy(url):
                pending.discard(name)
                console.print(f"  [green]up[/green] {name:<20} {url}  ({url}/docs)")
        time.sleep(0.2)
    if pending:
        console.print(f"[red]not healthy after {timeout}s: {sorted(pending)}[/red]")
        raise typer.Exit(1)


def _watch(children: list[Child], console: Console) -> None:
    """Return when one service exits (the rest are then stopped), saying which."""
    while all(child.process.poll() is None for child in children):
        time.sleep(0.5)
    for child in children:
        if child.process.poll() is not None:
            console.print(
                f"[red]{child.name} exited with {child.process.returncode}[/red]; stopping the rest"
            )


def _stop(children: list[Child]) -> None:
    """SIGINT to each running service once, then wait for each (killed after 15 s)."""
    for child in children:
        if child.process.poll() is None:
            child.process.send_signal(signal.SIGINT)
    for child in children:
        try:
            child.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.process.kill()
