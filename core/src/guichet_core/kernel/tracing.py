"""OpenTelemetry: one trace from the HTTP request, through the outbox and the message
headers, into every consumer that handles the event.

The W3C ``traceparent`` travels as the CloudEvents distributed-tracing extension
(``ce_traceparent`` header in binary mode), so it is carried by Kafka and by the
embedded log alike, and survives the outbox (it is stored with the event).
"""

from __future__ import annotations

from typing import Any, Literal

from opentelemetry import context, propagate, trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
)
from opentelemetry.trace import Status

from guichet_core.kernel.bus.port import BusMessage
from guichet_core.kernel.scrub import describe_named, scrub_text, scrub_traceback

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
    # Every processor sees spans through the scrubber: nothing personal is exported.
    if exporter == "console" and exporter not in _installed:
        _provider.add_span_processor(
            ScrubbingSpanProcessor(SimpleSpanProcessor(ConsoleSpanExporter()))
        )
    elif exporter == "otlp" and exporter not in _installed:
        # Imported here: only deployments that export over OTLP pay for it.
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        _provider.add_span_processor(ScrubbingSpanProcessor(BatchSpanProcessor(OTLPSpanExporter())))
    _installed.add(exporter)
    _instrument_database(_provider)
    if extra is not None and extra not in _installed:
        _provider.add_span_processor(ScrubbingSpanProcessor(extra))
        _installed.add(extra)
    return _provider


def _instrument_database(provider: TracerProvider) -> None:
    """A span for each PostgreSQL statement (asyncpg, under SQLAlchemy). Its
    ``db.statement`` is the statement as sent, with ``$n`` placeholders: parameters are
    bound apart and not captured (``capture_parameters`` stays off), and the scrubber
    drops them were they ever captured. The SQLite backend has no such spans."""
    if "asyncpg" in _installed:
        return
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor

    instrumentor = AsyncPGInstrumentor(capture_parameters=False)  # type: ignore[no-untyped-call]
    instrumentor.instrument(tracer_provider=provider)
    _installed.add("asyncpg")


class ScrubbingSpanProcessor(SpanProcessor):
    """Hands ``inner`` (an exporting processor) a scrubbed copy of each finished span:
    query values of URLs, NISS-shaped numbers, e-mail addresses and reasons removed from
    every attribute, bound SQL parameters dropped, exception messages and stack traces
    reduced to types and frames (GDPR Art. 5 §1 f, Art. 32; ``guichet_core.kernel.scrub``)."""

    def __init__(self, inner: SpanProcessor) -> None:
        self._inner = inner

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        self._inner.on_start(span, parent_context=parent_context)

    def on_end(self, span: ReadableSpan) -> None:
        self._inner.on_end(scrubbed(span))

    def shutdown(self) -> None:
        self._inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._inner.force_flush(timeout_millis)


def scrubbed(span: ReadableSpan) -> ReadableSpan:
    """A copy of the span that holds no personal value."""
    status = span.status
    if status.description:
        name, _, message = status.description.partition(": ")
        status = Status(status.status_code, describe_named(name, message))
    return ReadableSpan(
        name=scrub_text(span.name),
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes=_attributes(span.attributes),
        events=[
            Event(event.name, _attributes(event.attributes), event.timestamp)
            for event in span.events
        ],
        links=span.links,
        kind=span.kind,
        status=status,
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )


# Where instrumentations put a statement's bound values (old and new semantic
# conventions): never exported, whatever they hold.
_BOUND_PARAMETERS = ("db.statement.parameters", "db.query.parameter")


def _attributes(attributes: Any) -> dict[str, Any]:
    if not attributes:
        return {}
    clean = {
        key: _value(value)
        for key, value in attributes.items()
        if not key.startswith(_BOUND_PARAMETERS)
    }
    if "exception.message" in clean:
        kind = str(attributes.get("exception.type", ""))
        clean["exception.message"] = describe_named(kind, str(attributes["exception.message"]))
    if "exception.stacktrace" in clean:
        clean["exception.stacktrace"] = scrub_traceback(str(attributes["exception.stacktrace"]))
    if "url.query" in clean:  # the query alone: every value goes
        clean["url.query"] = scrub_text("?" + str(attributes["url.query"]))[1:]
    return clean


def _value(value: Any) -> Any:
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, tuple | list):
        return tuple(scrub_text(item) if isinstance(item, str) else item for item in value)
    return value


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
