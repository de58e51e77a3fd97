"""Intake killed (SIGKILL) in the middle of a burst of filings, then restarted: clients
that retry with their ``Idempotency-Key`` get one dossier per key, never two.

The probe of issue 12 saw 110 filings committed for 109 acknowledged: the client of the
110th could only file again. Art. 19-20: one filing, one dossier. Here intake runs as a
real process on the embedded default; its SQLite store is read afterwards.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx

from guichet_contracts import ApplicationFiled
from guichet_core.kernel.settings import ServiceSettings
from guichet_core.kernel.store.database import DatabaseConfig, create_engine
from guichet_core.kernel.store.sql import event_store_for

from .stacks import free_port
from .support import Tokens, application_form, eventually, issuer_for

FILINGS = 16


def start_intake(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("GUICHET_")}
    env.update(
        GUICHET_DATA_DIR=str(data_dir),
        GUICHET_INTAKE_PORT=str(port),
        GUICHET_IDEMPOTENCY_LEASE_SECONDS="2",
    )
    return subprocess.Popen(
        [sys.executable, "-m", "guichet_intake"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def until_up(client: httpx.AsyncClient, process: subprocess.Popen[bytes]) -> None:
    async def live() -> bool:
        assert process.poll() is None, "intake exited at start"
        try:
            return (await client.get("/livez")).status_code == 200
        except httpx.TransportError:
            return False

    await eventually(live, "intake answers /livez", seconds=60)


async def filed_events(data_dir: Path) -> list[str]:
    engine = create_engine(DatabaseConfig(url=f"sqlite:///{data_dir / 'intake.sqlite3'}"))
    try:
        events = await event_store_for(engine, source="/test").read_all(limit=100_000)
    finally:
        await engine.dispose()
    return [e.stream_id for e in events if e.event_type == ApplicationFiled.event_type]


async def test_retries_after_intake_is_killed_mid_burst_make_one_dossier_per_key(
    tmp_path: Path,
) -> None:
    data_dir, port = tmp_path / "var", free_port()
    tokens = Tokens(issuer_for(ServiceSettings(data_dir=data_dir)))
    requests = [(str(uuid.uuid4()), application_form()) for _ in range(FILINGS)]

    async def send(client: httpx.AsyncClient, key: str, form: dict[str, Any]) -> Any:
        headers = {**tokens.employer(), "Idempotency-Key": key}
        try:
            return await client.post("/applications", json=form, headers=headers)
        except httpx.TransportError:
            return None  # the client saw a dead connection: it does not know

    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        intake = start_intake(data_dir, port)
        try:
            await until_up(client, intake)
            burst = [asyncio.create_task(send(client, k, f)) for k, f in requests]
            await asyncio.sleep(0.3)  # some filings are answered, some in flight
            intake.send_signal(signal.SIGKILL)
            intake.wait(timeout=10)
            first = await asyncio.gather(*burst)
        finally:
            if intake.poll() is None:
                intake.kill()
        acknowledged = {
            k: r.json()
            for (k, _), r in zip(requests, first, strict=True)
            if r is not None and r.status_code == 201
        }
        committed = len(await filed_events(data_dir))  # some never acknowledged
        assert len(acknowledged) <= committed < FILINGS, "the kill did not land mid-burst"

        intake = start_intake(data_dir, port)
        try:
            await until_up(client, intake)
            await asyncio.sleep(2.5)  # the killed requests' leases run out
            retries = [await send(client, k, f) for k, f in requests]
        finally:
            intake.send_signal(signal.SIGTERM)
            intake.wait(timeout=30)

    answered: dict[str, str] = {}
    carried_out = 0
    for (key, _), retry in zip(requests, retries, strict=True):
        assert retry is not None
        if retry.status_code == 409:  # committed, then killed before its answer was kept
            assert "carried out" in retry.json()["detail"] and key not in acknowledged
            carried_out += 1
            continue
        assert retry.status_code == 201, retry.text
        if key in acknowledged:
            assert retry.json() == acknowledged[key]  # the very same receipt
        answered[key] = retry.json()["application_id"]
    dossiers = await filed_events(data_dir)
    assert len(set(answered.values())) == len(answered)  # no two keys share a dossier
    assert set(answered.values()) <= set(dossiers)
    assert len(dossiers) == len(answered) + carried_out <= FILINGS  # one per key at most
