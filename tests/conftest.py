"""Cross-service behaviour tests run whole services in process, on both deployments."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

_spans = InMemorySpanExporter()


@pytest.fixture(scope="session")
def span_exporter() -> InMemorySpanExporter:
    return _spans


@pytest.fixture(scope="session")
def span_processor() -> SimpleSpanProcessor:
    return SimpleSpanProcessor(_spans)


@contextlib.asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Run the app's lifespan (migrations, relay, consumers) and talk to it over ASGI."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            yield client


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=["embedded", "postgres-kafka"])
async def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Any]:
    """The platform in process, once per module and deployment (``stacks.Stack``); the
    modules that still define their own ``stack`` override this one."""
    from .stacks import open_stack  # stacks imports ``running`` from here

    async with open_stack(request, tmp_path_factory.mktemp("platform")) as running_stack:
        yield running_stack
