"""A loopback TCP proxy that tests cut and restore to simulate a broker outage.

The broker listens on its own port but advertises the proxy's port, so every client
connection (bootstrap *and* the ones opened from metadata) goes through the proxy.
``cut`` drops every live connection and stops listening, so reconnects are refused at
once (like a broker that went away); ``restore`` listens again on the same port.
"""

from __future__ import annotations

import asyncio
import contextlib

_CHUNK = 64 * 1024


class TcpProxy:
    def __init__(
        self, target_port: int, *, target_host: str = "127.0.0.1", listen_port: int = 0
    ) -> None:
        self.host = "127.0.0.1"
        self.port = listen_port  # 0 = pick a free port on start(), then kept for restore()
        self._target = (target_host, target_port)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    async def start(self) -> None:
        # reuse_address: the port was just in use (restore) and may have TIME_WAIT sockets.
        self._server = await asyncio.start_server(
            self._accept, self.host, self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def restore(self) -> None:
        if self._server is None:
            await self.start()

    async def cut(self) -> None:
        """Refuse new connections and abort the live ones (the peers see a reset)."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()
        # Aborted transports end the pumps; cancelling the handler tasks instead would make
        # asyncio's start_server log their CancelledError.
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=2.0)

    async def stop(self) -> None:
        await self.cut()

    async def _accept(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(client_w)
        upstream_w: asyncio.StreamWriter | None = None
        try:
            upstream_r, upstream_w = await asyncio.open_connection(*self._target)
            self._writers.add(upstream_w)
            # Either direction ending (EOF, reset) ends the whole connection.
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
        except OSError:
            pass  # broker unreachable: the client simply sees its connection closed
        finally:
            for writer in (client_w, upstream_w):
                if writer is not None:
                    self._writers.discard(writer)
                    writer.transport.abort()
            self._tasks.discard(task)

    @staticmethod
    async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while data := await reader.read(_CHUNK):
                writer.write(data)
                await writer.drain()
