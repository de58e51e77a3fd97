"""The load generator's HTTP client: aiohttp, behind the few calls the bench makes.

httpx was the bottleneck of its own measurements: py-spy showed the bench process at
85% of a core for 40 consultation reads/s, most of it in httpcore's pool scanning every
connection for every request, while the consultation service used a third of a core.
aiohttp's connector does the same work for a fraction of the CPU, so the figures are
the services' and not the client's.
"""

from __future__ import annotations

import json as jsonlib
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import aiohttp

# What a connection broken under overload raises; the request may be sent again.
BROKEN = (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError)


@dataclass(frozen=True)
class Reply:
    status_code: int
    text: str

    @property
    def is_success(self) -> bool:
        return 200 <= self.status_code < 300

    def json(self) -> Any:
        return jsonlib.loads(self.text)


class Http:
    """``async with Http(base_url, connections) as http: await http.post(...)``."""

    def __init__(self, base_url: str, connections: int) -> None:
        self._base_url = base_url
        self._connections = connections
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Http:
        connector = aiohttp.TCPConnector(limit=self._connections, limit_per_host=self._connections)
        self._session = aiohttp.ClientSession(
            base_url=self._base_url,
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=60),
        )
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def get(
        self,
        path: str,
        *,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        return await self._send("GET", path, params=params, headers=headers)

    async def post(
        self, path: str, *, json: Any = None, headers: dict[str, str] | None = None
    ) -> Reply:
        return await self._send("POST", path, json=json, headers=headers)

    async def _send(self, method: str, path: str, **options: Any) -> Reply:
        if self._session is None:  # used without ``async with``: opened on first use
            await self.__aenter__()
        assert self._session is not None
        async with self._session.request(method, path, **options) as response:
            return Reply(response.status, await response.text())
