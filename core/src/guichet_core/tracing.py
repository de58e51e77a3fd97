"""OpenTelemetry: one trace from the HTTP request, through the outbox and the message
headers, into every consumer that handles the event.

The W3C ``traceparent`` travels as the CloudEvents distributed-tracing extension
(``ce_traceparent`` header in binary mode), so it is carried by Kafka and by the
embedded log alike, and survives the outbox (it is stored with the event).
"""

from __future__ import annotations

from typing import Literal

from opentelemetry import context, propagate, trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
)

from guichet_core.bus.port import BusMessage

Exporter = Literal["none", "console", "otlp"]

_provider: TracerProvider | None = None
_installed: set[object] = set()  # exporters and processors already added to the provider


def configure_tracing(
    service_name: str, exporter: Exporter, *, extra: SpanProcessor | None = None
) -> TracerProvider:
    """Install the tracer provider once per process; ``extra`` lets tests collect spans."""
    global _provider
    if _provider is None:
        _provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
        trace.set_tracer_provider(_provider)
    if exporter == "console" and exporter not in _installed:
        _provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
    elif exporter == "otlp" and exporter not in _installed:
        # Imported here: only deployments that export over OTLP pay for it.
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        _provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    _installed.add(exporter)
    if extra is not None and extra not in _installed:
        _provider.add_span_processor(extra)
        _installed.add(extra)
    return _provider


def current_traceparent() -> str | None:
    """The W3C traceparent of the active span, to store with events appended now."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier.get("traceparent")


def context_of(message: BusMessage) -> Context:
    """The trace context a message carries (a fresh one when it carries none)."""
    carrier: dict[str, str] = {}
    for header in ("traceparent", "ce_traceparent"):
        if value := message.header(header):
            carrier["traceparent"] = value.decode("latin-1")
    return propagate.extract(carrier) if carrier else context.Context()
