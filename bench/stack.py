"""The services under test, as real uvicorn subprocesses configured by environment."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from guichet_core.kernel.settings import ServiceSettings
from guichet_core.testing.broker import free_port, stop_process
from tests.support import Tokens, issuer_for, production_secrets

SERVICES = {  # name: (module, environment prefix)
    "intake": ("guichet_intake", "GUICHET_INTAKE_"),
    "regional-decision": ("guichet_regional_decision", "GUICHET_REGIONAL_DECISION_"),
    "residence-decision": ("guichet_residence_decision", "GUICHET_RESIDENCE_DECISION_"),
    "consultation": ("guichet_consultation", "GUICHET_CONSULTATION_"),
}


@dataclass
class Stack:
    backend: str
    directory: Path
    namespace: str
    urls: dict[str, str]
    tokens: Tokens
    database_url: str | None
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def schema(self, service: str) -> str:
        return self.namespace + service.replace("-", "_")

    def sqlite_file(self, service: str) -> Path:
        return self.directory / "var" / f"{self.schema(service)}.sqlite3"


def _wait_ready(name: str, url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited at start:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{name} not ready in 60 s:\n{log.read_text()[-3000:]}")


@contextlib.contextmanager
def running_stack(
    backend: str,
    directory: Path,
    *,
    database_url: str | None = None,
    kafka_bootstrap: str | None = None,
    namespace: str = "",
) -> Iterator[Stack]:
    """Start intake, regional-decision, residence-decision and consultation; stop them at
    the end."""
    directory.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GUICHET_")}
    env.update(
        {
            "GUICHET_BACKEND": backend,
            "GUICHET_DATA_DIR": str(directory / "var"),
            "GUICHET_NAMESPACE": namespace,
            "PYTHONUNBUFFERED": "1",
        }
    )
    if backend == "postgres-kafka":
        assert database_url and kafka_bootstrap
        secrets, issuer = production_secrets(directory)
        env.update(secrets, DATABASE_URL=database_url, KAFKA_BOOTSTRAP=kafka_bootstrap)
    else:
        # The embedded default signs with the development key in the data dir: make it
        # now, before the services race to create it.
        issuer = issuer_for(ServiceSettings(backend="embedded", data_dir=directory / "var"))
    stack = Stack(backend, directory, namespace, {}, Tokens(issuer), database_url)
    try:
        for name, (module, prefix) in SERVICES.items():
            port = free_port()
            log = directory / f"{name}.log"
            proc = subprocess.Popen(
                [sys.executable, "-m", module],
                env={**env, prefix + "PORT": str(port), prefix + "HOST": "127.0.0.1"},
                stdout=log.open("wb"),
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
            stack.processes[name] = proc
            stack.urls[name] = f"http://127.0.0.1:{port}"
            _wait_ready(name, stack.urls[name], proc, log)
        yield stack
    finally:
        for proc in stack.processes.values():
            stop_process(proc, grace=15)
