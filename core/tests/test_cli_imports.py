"""A command imports only what it uses (issue 11): ``guichet --help`` and ``guichet token
issue`` took seconds because every service, FastAPI, SQLAlchemy and aiokafka were
imported first. Structural, not timed: a child process runs the command and reports the
modules it imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from guichet_core.tools.cli import SERVICES

SERVICE_PACKAGES = {package for _name, package, _port in SERVICES}
FRAMEWORKS = {"fastapi", "starlette", "sqlalchemy", "alembic", "aiokafka"}

# Runs the installed command's app; the modules are written at exit, whatever the exit code.
CHILD = """
import atexit, json, sys
report = sys.argv[1]
atexit.register(lambda: open(report, "w").write(json.dumps(sorted(sys.modules))))
sys.argv = ["guichet", *sys.argv[2:]]
from guichet_core.tools.cli import app
app()
"""


def guichet(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run ``guichet *args`` on the embedded default in ``tmp_path``; its output and the
    top-level packages it imported."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GUICHET_", "OTEL_"))}
    env.pop("DATABASE_URL", None)
    env.pop("KAFKA_BOOTSTRAP", None)
    env["GUICHET_DATA_DIR"] = str(tmp_path / "var")
    report = tmp_path / "modules.json"
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(report), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    modules = json.loads(report.read_text())
    return result, {module.partition(".")[0] for module in modules}


def test_help_lists_every_group_without_importing_a_service_or_a_framework(
    tmp_path: Path,
) -> None:
    result, imported = guichet(tmp_path, "--help")
    assert result.returncode == 0, result.stderr
    for group in ("run", "demo", "contracts", "events", "token", "consultation", "retention"):
        assert group in result.stdout
    assert imported & FRAMEWORKS == set()
    assert imported & SERVICE_PACKAGES == set()


def test_token_issue_needs_the_signing_key_only(tmp_path: Path) -> None:
    result, imported = guichet(tmp_path, "token", "issue", "--authority", "VLG", "--agent", "a-1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().count(".") == 2  # a JWT: header.claims.signature
    assert (tmp_path / "var" / "dev-signing-key.pem").exists()
    assert imported & FRAMEWORKS == set()
    assert imported & SERVICE_PACKAGES == set()


@pytest.mark.parametrize("group", ["consultation", "retention", "onss"])
def test_a_service_group_is_imported_when_used(tmp_path: Path, group: str) -> None:
    result, imported = guichet(tmp_path, group, "--help")
    assert result.returncode == 0, result.stderr
    assert "Commands" in result.stdout
    assert len(imported & SERVICE_PACKAGES) == 1  # its own, and no other service's


def test_events_tail_on_the_embedded_log_reads_the_log_only(tmp_path: Path) -> None:
    result, imported = guichet(tmp_path, "events", "tail", "guichet.intake.v1")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""  # a fresh log: nothing to replay, and no --follow
    assert "sqlalchemy" in imported  # the embedded log is SQLite
    assert imported & {"fastapi", "starlette", "aiokafka", "alembic"} == set()  # no migration
    assert imported & SERVICE_PACKAGES == set()
