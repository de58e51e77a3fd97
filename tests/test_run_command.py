"""`make run` (``guichet run``): six services start on the embedded default, answer
``/health``, stop cleanly on Ctrl-C, and find every earlier event when started again."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from guichet_contracts.vocabulary import Authority
from guichet_core.kernel.settings import ServiceSettings
from guichet_core.tools.cli import SERVICES
from guichet_core.tools.demo import Demo, run_demo

from .support import Tokens, application_form, environment, issuer_for


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def call(
    url: str, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"content-type": "application/json", **(headers or {})}
    request = urllib.request.Request(url, data=data, headers=headers)
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.status, json.loads(response.read())


def start(env: dict[str, str]) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "guichet_core.tools.cli", "run", "--startup-timeout", "90"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 100
    assert process.stdout is not None
    for line in process.stdout:
        if "All services are up" in line:
            return process
        if time.monotonic() > deadline or process.poll() is not None:
            break
    process.kill()
    raise AssertionError("guichet run did not report all services up")


def interrupt(process: subprocess.Popen[str]) -> int:
    process.send_signal(signal.SIGINT)
    try:
        return process.wait(timeout=40)
    finally:
        if process.poll() is None:
            process.kill()


def test_run_starts_six_services_stops_cleanly_and_keeps_events(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("GUICHET_")}
    env.pop("DATABASE_URL", None)
    env.pop("KAFKA_BOOTSTRAP", None)
    env["GUICHET_DATA_DIR"] = str(tmp_path / "var")
    ports = {}
    for name, _package, _default in SERVICES:
        ports[name] = free_port()
        env["GUICHET_" + name.upper().replace("-", "_") + "_PORT"] = str(ports[name])
    url = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}

    first = start(env)
    try:
        tokens = Tokens(issuer_for(ServiceSettings(data_dir=tmp_path / "var")))
        for name in ports:
            status, health = call(url[name] + "/health")
            assert status == 200 and health["service"] == name and health["database"] == "ok"
            with urllib.request.urlopen(url[name] + "/docs", timeout=5) as docs:
                assert docs.status == 200
        status, receipt = call(
            url["intake"] + "/applications", application_form(postcode="2000"), tokens.employer()
        )
        assert status == 201 and receipt["competent_authority"] == "VLG"

        # `make demo`: every path of the procedure against this running platform.
        port_env = {key: value for key, value in env.items() if key.endswith("_PORT")}
        with environment(**port_env):
            outcomes = run_demo(Demo(ServiceSettings(data_dir=tmp_path / "var")))
        assert len(outcomes) == 8
        assert [o.path for o in outcomes if not o.ok] == []
    finally:
        assert interrupt(first) == 0

    second = start(env)
    try:
        status, view = call(
            url["intake"] + f"/applications/{receipt['application_id']}", None, tokens.employer()
        )
        assert status == 200 and view["status"] == "filed"
        for _ in range(50):
            _, queue = call(
                url["regional-decision"] + "/queues/VLG", None, tokens.header(Authority.VLG)
            )
            if queue:
                break
            time.sleep(0.1)
        assert [entry["application_id"] for entry in queue] == [receipt["application_id"]]
    finally:
        assert interrupt(second) == 0
