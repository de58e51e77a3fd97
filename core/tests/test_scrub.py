"""The scrubber: no personal value, reason or bound SQL parameter reaches a log line or a
span (GDPR Art. 5 §1 f, integrity and confidentiality; Art. 32, security of processing;
STYLE.md point 14: one scrubber, installed once, centrally)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from guichet_core.kernel.bus.port import BusUnavailable
from guichet_core.kernel.scrub import describe, error_type, install_log_scrubber, scrub_text
from guichet_core.kernel.store.database import DatabaseConfig, create_engine
from guichet_core.kernel.tracing import ScrubbingSpanProcessor, configure_tracing

NISS = "85073003328"
EMAIL = "amina.diallo@example.org"
REASON = "Refusal ground ZQ-314: the employer's file is incomplete."
NAME = "Diallo"


@pytest.fixture
def output() -> Iterator[io.StringIO]:
    """What a handler on a logger writes, with the scrubber installed as services do."""
    install_log_scrubber()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    logger = logging.getLogger("guichet.test.scrub")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        yield stream
    finally:
        logger.removeHandler(handler)


log = logging.getLogger("guichet.test.scrub")


def test_niss_shaped_numbers_and_email_addresses_leave_every_message(
    output: io.StringIO,
) -> None:
    log.info("filed for %s (%s)", NISS, EMAIL)
    log.info(f"formatted by hand: 85.07.30-033.28 and {EMAIL}")
    log.info("as a mapping: %(who)s", {"who": NISS})
    written = output.getvalue()
    assert NISS not in written and EMAIL not in written and "85.07.30-033.28" not in written
    assert written.count("[redacted]") == 5
    # what is not personal stays readable
    log.info("dossier %s at offset %d", "3f1c2a8e-1234-4c5d-9e0f-123456789012", 12345678901234)
    assert "3f1c2a8e-1234-4c5d-9e0f-123456789012" in output.getvalue()


def test_what_the_platform_knows_is_a_reason_is_redacted_by_its_name(
    output: io.StringIO,
) -> None:
    log.warning("decision body %s", {"authorised": False, "reasons": REASON})
    log.warning('json {"explanation": "%s", "ok": true}', REASON)
    log.warning("repr %r", {"details": REASON})
    written = output.getvalue()
    assert REASON not in written and "ZQ-314" not in written
    assert "authorised" in written


def test_query_strings_keep_their_names_but_lose_their_values() -> None:
    assert scrub_text("GET /dossiers?niss=x&purpose=inspection") == (
        "GET /dossiers?niss=[redacted]&purpose=[redacted]"
    )


class Person(BaseModel):
    age: int


def test_an_exception_is_logged_by_type_and_frames_never_with_the_input(
    output: io.StringIO,
) -> None:
    """A 500 traceback once logged a name: messages of exceptions that may quote their
    input (validation, lookups, encodings) are not written, their type and frames are."""
    try:
        Person.model_validate({"age": NAME})
    except Exception:
        log.exception("filing failed")
    try:
        {}[NAME]
    except KeyError as error:
        log.error("lookup failed: %s", error)
    written = output.getvalue()
    assert NAME not in written
    assert "pydantic_core._pydantic_core.ValidationError" in written
    assert "Traceback (most recent call last)" in written and "test_scrub.py" in written
    assert "KeyError" in written


def test_infrastructure_errors_keep_their_message_an_operator_needs() -> None:
    refused = ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)")
    assert describe(refused) == (
        "ConnectionRefusedError: [Errno 111] Connect call failed ('127.0.0.1', 5432)"
    )
    assert describe(OSError(f"mail to {EMAIL} refused")) == "OSError: mail to [redacted] refused"
    assert describe(ValueError(NAME)) == "ValueError"
    broker = BusUnavailable("Kafka producer cannot connect: KafkaConnectionError()")
    assert describe(broker).endswith(
        "BusUnavailable: Kafka producer cannot connect: KafkaConnectionError()"
    )
    assert error_type(refused) == "ConnectionRefusedError"


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_a_failed_write_is_logged_by_type_and_sqlstate_never_with_its_parameters(
    backend: str, output: io.StringIO, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A real constraint violation: the engine hides bound parameters, and what the
    database quotes back (PostgreSQL's ``DETAIL: Key (niss)=(…)``) is not written."""
    if backend == "sqlite":
        config = DatabaseConfig(url=f"sqlite:///{tmp_path / 'scrub.sqlite3'}")
    else:
        config = DatabaseConfig(
            url=request.getfixturevalue("postgres_url"),
            schema=request.getfixturevalue("pg_namespace") + "scrub",
        )
    engine = create_engine(config)
    try:
        async with engine.begin() as connection:
            if config.schema:
                await connection.execute(text(f'create schema "{config.schema}"'))
            await connection.execute(
                text("create table people (niss text primary key, email text, reasons text)")
            )
        insert = text("insert into people values (:niss, :email, :reasons)")
        values = {"niss": NISS, "email": EMAIL, "reasons": REASON}
        async with engine.begin() as connection:
            await connection.execute(insert, values)
        with pytest.raises(DBAPIError) as caught:
            async with engine.begin() as connection:
                await connection.execute(insert, values)
        assert EMAIL not in str(caught.value) and REASON not in str(caught.value)
        try:
            raise RuntimeError("the filing could not be stored") from caught.value
        except RuntimeError:
            log.exception("write failed")
        log.warning("retrying: %r", caught.value)
    finally:
        await engine.dispose()
    written = output.getvalue()
    for value in (NISS, EMAIL, REASON, "ZQ-314"):
        assert value not in written, written
    assert "IntegrityError" in written
    if backend == "postgres":
        assert "SQLSTATE 23505" in written
    assert "The above exception was the direct cause" in written


def test_spans_carry_no_personal_value_in_urls_exceptions_or_status() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(ScrubbingSpanProcessor(SimpleSpanProcessor(exporter)))
    tracer = provider.get_tracer(__name__)
    with pytest.raises(ValueError), tracer.start_as_current_span("GET /dossiers") as span:
        span.set_attribute("http.url", f"http://service/dossiers?niss={NISS}")
        span.set_attribute("url.query", f"niss={NISS}&purpose=inspection")
        span.set_attribute("enduser.id", EMAIL)
        raise ValueError(f"{NAME} {REASON}")
    (finished,) = exporter.get_finished_spans()
    assert finished.attributes is not None
    assert finished.attributes["http.url"] == "http://service/dossiers?niss=[redacted]"
    assert finished.attributes["url.query"] == "niss=[redacted]&purpose=[redacted]"
    (event,) = finished.events
    assert event.attributes is not None
    assert event.attributes["exception.type"] == "ValueError"
    assert event.attributes["exception.message"] == "ValueError"
    stacktrace = str(event.attributes["exception.stacktrace"])
    assert "Traceback (most recent call last)" in stacktrace and "test_scrub.py" in stacktrace
    everything = str(finished.to_json())
    for value in (NISS, EMAIL, NAME, REASON):
        assert value not in everything


def test_installing_twice_scrubs_once(output: io.StringIO) -> None:
    install_log_scrubber()
    install_log_scrubber()
    log.info("one %s", NISS)
    assert output.getvalue().strip().endswith("one [redacted]")


def test_a_recorded_validation_error_leaves_its_input_out_of_the_span() -> None:
    """pydantic quotes the input on indented lines of its message: a stack trace keeps
    the frames' code and the exception's type, not those lines."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(ScrubbingSpanProcessor(SimpleSpanProcessor(exporter)))
    with provider.get_tracer(__name__).start_as_current_span("filing") as span:
        try:
            Person.model_validate({"age": f"{NAME} {EMAIL}"})
        except Exception as error:
            span.record_exception(error)
    (finished,) = exporter.get_finished_spans()
    (event,) = finished.events
    assert event.attributes is not None
    stacktrace = str(event.attributes["exception.stacktrace"])
    assert "model_validate" in stacktrace and stacktrace.endswith("ValidationError")
    assert NAME not in str(finished.to_json()) and EMAIL not in str(finished.to_json())


async def test_a_database_span_of_an_insert_names_the_statement_never_its_values(
    postgres_url: str, pg_namespace: str
) -> None:
    """The asyncpg instrumentation is wired where tracing is set up: a write has its span,
    and the span shows the statement with its placeholders, never a bound value."""
    exporter = InMemorySpanExporter()
    configure_tracing("guichet-test", "none", extra=SimpleSpanProcessor(exporter))
    config = DatabaseConfig(url=postgres_url, schema=pg_namespace + "spans")
    engine = create_engine(config)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(f'create schema "{config.schema}"'))
            await connection.execute(
                text("create table people (niss text primary key, name text, reasons text)")
            )
        async with engine.begin() as connection:
            await connection.execute(
                text("insert into people values (:niss, :name, :reasons)"),
                {"niss": NISS, "name": NAME, "reasons": REASON},
            )
    finally:
        await engine.dispose()
    database_spans = [
        span
        for span in exporter.get_finished_spans()
        if span.attributes and "db.statement" in span.attributes
    ]
    inserts = [
        span
        for span in database_spans
        if "insert into people" in str(span.attributes and span.attributes["db.statement"])
    ]
    assert inserts, "an INSERT has a database span"
    for span in database_spans:
        everything = str(span.to_json())
        for value in (NISS, NAME, REASON):
            assert value not in everything, everything


def test_bound_parameters_an_instrumentation_captured_never_leave_the_process() -> None:
    """Were an instrumentation set to capture parameters, the scrubber drops them: a name
    or a reason is not shaped like anything ``scrub_text`` would recognise."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(ScrubbingSpanProcessor(SimpleSpanProcessor(exporter)))
    with provider.get_tracer(__name__).start_as_current_span("INSERT guichet") as span:
        span.set_attribute("db.statement", "insert into people values ($1, $2)")
        span.set_attribute("db.statement.parameters", f"('{NAME}', '{REASON}')")
        span.set_attribute("db.query.parameter.0", NAME)
    (finished,) = exporter.get_finished_spans()
    assert finished.attributes is not None
    assert finished.attributes["db.statement"] == "insert into people values ($1, $2)"
    assert not any(
        key.startswith(("db.statement.parameters", "db.query.parameter"))
        for key in finished.attributes
    )
