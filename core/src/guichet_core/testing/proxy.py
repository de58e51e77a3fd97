"""A loopback proxy in front of the Kafka-protocol broker that tests cut and restore: a
broker outage seen by everyone, or the network between one service and the broker.

The broker listens on its own port but advertises the proxy's, so every connection a
client opens (the bootstrap one and those opened from metadata) goes through here. A
Kafka client names itself in every request header (``client_id``; the platform's
services say ``guichet-<service>``), so the proxy reads the first request of each
connection to know whose link it carries. ``cut()`` drops every live connection and
stops listening, so reconnects are refused at once (like a broker that went away);
``cut(service)`` resets that service's links and closes its new ones as soon as they
name themselves; ``restore`` listens again on the same port.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct

_CHUNK = 64 * 1024


def client_id_of(first_request: bytes) -> str:
    """The ``client_id`` of a Kafka request (header v1/v2: api_key, api_version,
    correlation_id, then a nullable int16-length string)."""
    if len(first_request) < 10:
        return ""
    (length,) = struct.unpack(">h", first_request[8:10])
    return first_request[10 : 10 + max(length, 0)].decode("utf-8", errors="replace")


class KafkaProxy:
    def __init__(
        self, target_port: int, *, target_host: str = "127.0.0.1", listen_port: int = 0
    ) -> None:
        self.host = "127.0.0.1"
        self.port = listen_port  # 0 = pick a free port on start(), then kept for restore()
        self._target = (target_host, target_port)
        self._server: asyncio.Server | None = None
        self._links: dict[asyncio.StreamWriter, str] = {}  # both ends -> client id
        self._tasks: set[asyncio.Task[None]] = set()
        self.cut_clients: set[str] = set()
        self.connections = 0  # accepted since start, for the report
        self.refused = 0  # closed because their client was cut

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    async def start(self) -> None:
        if self._server is None:
            # reuse_address: the port was just in use (restore) and may have TIME_WAIT sockets.
            self._server = await asyncio.start_server(
                self._accept, self.host, self.port, reuse_address=True
            )
            self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self, service: str | None = None) -> None:
        """Cut every link (a broker outage), or only ``service``'s links."""
        if service is None:
            if self._server is not None:
                self._server.close()
                self._server = None
            doomed = list(self._links)
        else:
            self.cut_clients.add(f"guichet-{service}")
            doomed = [w for w, client in self._links.items() if client in self.cut_clients]
        for writer in doomed:
            writer.transport.abort()
            self._links.pop(writer, None)
        if service is None and self._tasks:
            # Aborted transports end the pumps; cancelling the handler tasks instead would
            # make asyncio's start_server log their CancelledError.
            await asyncio.wait(list(self._tasks), timeout=2.0)

    async def restore(self, service: str | None = None) -> None:
        if service is None:
            self.cut_clients.clear()
            await self.start()
        else:
            self.cut_clients.discard(f"guichet-{service}")

    async def stop(self) -> None:
        await self.cut()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=2.0)

    async def _accept(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.connections += 1
        upstream_w: asyncio.StreamWriter | None = None
        try:
            size = await client_r.readexactly(4)
            first = await client_r.readexactly(struct.unpack(">i", size)[0])
            client = client_id_of(first)
            if client in self.cut_clients or self._server is None:
                self.refused += 1
                return
            self._links[client_w] = client
            upstream_r, upstream_w = await asyncio.open_connection(*self._target)
            self._links[upstream_w] = client
            upstream_w.write(size + first)
            pumps = [
                asyncio.create_task(self._pump(client_r, upstream_w)),
                asyncio.create_task(self._pump(upstream_r, client_w)),
            ]
            try:
                await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for pump in pumps:
                    pump.cancel()
                await asyncio.gather(*pumps, return_exceptions=True)
        except (OSError, asyncio.IncompleteReadError):
            pass  # either side went away: the client sees its connection closed
        finally:
            for writer in (client_w, upstream_w):
                if writer is not None:
                    self._links.pop(writer, None)
                    writer.transport.abort()
            self._tasks.discard(task)

    @staticmethod
    async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while data := await reader.read(_CHUNK):
                writer.write(data)
                await writer.drain()
