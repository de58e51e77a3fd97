"""Cross-service behaviour tests run whole services in process, on both deployments."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from guichet_retention.settings import RetentionSettings

from .stacks import Stack, open_stack, running

__all__ = ["running"]  # modules still import it from here

_spans = InMemorySpanExporter()


@pytest.fixture(scope="session")
def span_exporter() -> InMemorySpanExporter:
    return _spans


@pytest.fixture(scope="session")
def span_processor() -> SimpleSpanProcessor:
    return SimpleSpanProcessor(_spans)


@pytest.fixture(scope="module")
def stack_retention() -> RetentionSettings | None:
    """The retention service's own settings (e.g. its day), when a module's platform runs
    it: a module overrides this fixture. ``None``: the platform runs without retention."""
    return None


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=["embedded", "postgres-kafka"])
async def stack(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    stack_retention: RetentionSettings | None,
) -> AsyncIterator[Stack]:
    """The platform in process (``stacks.Stack``), once per module and deployment, shared
    by the module's tests."""
    directory = tmp_path_factory.mktemp("platform")
    async with open_stack(request, directory, retention=stack_retention) as running_stack:
        yield running_stack
