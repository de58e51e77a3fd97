"""One scrubber for every log record and span: no personal value, reason or bound SQL
parameter reaches a log line or a trace (GDPR Art. 5 §1 f and Art. 32; STYLE.md 14).

Structural first, patterns second:

- An exception is written as its type, its frames (file, line, code) and, for database
  errors, its SQLSTATE; its message only when it describes infrastructure (a refused
  connection, a broker that is away) or was written by the platform without any input
  (``SafeMessage``). Messages of everything else (validation errors, lookups, what
  PostgreSQL quotes back in ``DETAIL: Key (niss)=(…)``) may hold the input: never written.
- What is left is cleared of NISS-shaped numbers, e-mail addresses, the values of query
  strings, and the values of fields the platform knows to be reasons or a person's own
  words (``reasons``, ``explanation``, ``details``).

``install_log_scrubber`` puts this in the logging record factory, once per process
(the service entrypoint and ``create_app`` call it), so it applies to every logger,
uvicorn's access log included; ``guichet_core.kernel.tracing.ScrubbingSpanProcessor`` applies
it to every exported span.
"""

from __future__ import annotations

import asyncio
import logging
import re
import traceback
from collections.abc import Mapping
from typing import Any

REDACTED = "[redacted]"
REASON_FIELDS = ("reasons", "reason", "explanation", "details")

_NISS = re.compile(r"(?<!\d)\d{2}[.\- ]?\d{2}[.\- ]?\d{2}[.\- ]?\d{3}[.\- ]?\d{2}(?!\d)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_QUERY_VALUE = re.compile(r"([?&][^=&#\s?]+=)[^&#\s]*")
_FIELDS = "|".join(REASON_FIELDS)
_QUOTED_FIELD = re.compile(
    rf"""(["']?(?:{_FIELDS})["']?\s*[:=]\s*)("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')"""
)
# Whose messages describe infrastructure, never a person: kept (and still scrubbed).
_INFRASTRUCTURE_MODULES = ("aiokafka.", "kafka.", "ssl.", "socket.")
_SAFE_TYPES: set[str] = {
    "OSError",
    "ConnectionError",
    "ConnectionRefusedError",
    "ConnectionResetError",
    "ConnectionAbortedError",
    "BrokenPipeError",
    "TimeoutError",
    "socket.gaierror",
    "asyncio.exceptions.CancelledError",
    "asyncio.exceptions.TimeoutError",
}


class SafeMessage(Exception):
    """An exception whose message the platform writes without quoting any input: its
    message is kept in logs, spans and dead letters."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _SAFE_TYPES.add(qualified_name(cls))


def qualified_name(kind: type[BaseException]) -> str:
    """``module.Type`` as OpenTelemetry names it (``Type`` alone for builtins)."""
    module = kind.__module__
    return f"{module}.{kind.__qualname__}" if module and module != "builtins" else kind.__qualname__


def scrub_text(value: str) -> str:
    """The text without NISS-shaped numbers, e-mail addresses, query values or reasons."""
    value = _QUOTED_FIELD.sub(lambda match: match.group(1) + f'"{REDACTED}"', value)
    value = _QUERY_VALUE.sub(lambda match: match.group(1) + REDACTED, value)
    value = _EMAIL.sub(REDACTED, value)
    return _NISS.sub(REDACTED, value)


def keeps_message(type_name: str) -> bool:
    """Whether an exception of this (qualified) type may show its message."""
    return type_name in _SAFE_TYPES or type_name.startswith(_INFRASTRUCTURE_MODULES)


def _sqlstate(error: BaseException) -> str | None:
    for candidate in (error, getattr(error, "orig", None), error.__cause__):
        code = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if isinstance(code, str) and code:
            return code
        name = getattr(candidate, "sqlite_errorname", None)
        if isinstance(name, str) and name:
            return name
    return None


def error_type(error: BaseException) -> str:
    """What a stored ``last_error`` keeps: the exception's type (and SQLSTATE) only."""
    code = _sqlstate(error)
    name = type(error).__name__
    return f"{name} (SQLSTATE {code})" if code else name


def describe(error: BaseException) -> str:
    """An exception as a log line may show it (see the module's rules)."""
    name = qualified_name(type(error))
    code = _sqlstate(error)
    if code:
        return f"{name} (SQLSTATE {code})"
    if isinstance(error, OSError | asyncio.CancelledError) or keeps_message(name):
        message = scrub_text(str(error))
        return f"{name}: {message}" if message else name
    return name


def describe_named(type_name: str, message: str) -> str:
    """The same rule when only the type's name and the message's text are known (spans)."""
    if keeps_message(type_name) and message:
        return f"{type_name}: {scrub_text(message)}"
    return type_name


def format_exception(error: BaseException) -> str:
    """A traceback with every frame and the chain of causes, each exception described
    by ``describe``: the code that failed, never the values it failed on."""
    chain: list[tuple[BaseException, str | None]] = []
    seen: set[int] = set()
    current: BaseException | None = error
    link: str | None = None
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append((current, link))
        if current.__cause__ is not None:
            current, link = current.__cause__, _CAUSE
        elif current.__context__ is not None and not current.__suppress_context__:
            current, link = current.__context__, _CONTEXT
        else:
            current = None
    lines: list[str] = []
    for exception, joined_by in reversed(chain):
        if exception.__traceback__ is not None:
            lines.append("Traceback (most recent call last):\n")
            lines.extend(traceback.format_list(traceback.extract_tb(exception.__traceback__)))
        lines.append(describe(exception) + "\n")
        if joined_by:
            lines.append(joined_by)
    return "".join(lines).rstrip("\n")


_CAUSE = "\nThe above exception was the direct cause of the following exception:\n\n"
_CONTEXT = "\nDuring handling of the above exception, another exception occurred:\n\n"
_SEPARATORS = ("", _CAUSE.strip(), _CONTEXT.strip())
_FRAME = re.compile(r'^  File ".*", line \d+, in .*$')
_EXCEPTION_LINE = re.compile(r"^([A-Za-z_][\w.]*)(?::\s?(.*))?$")


def scrub_traceback(text: str) -> str:
    """A formatted traceback (as a span's ``exception.stacktrace`` holds it) reduced to
    its frames and the type of each exception: message lines are dropped or described."""
    kept: list[str] = []
    in_frame = after_frames = False
    for line in text.splitlines():
        if _FRAME.match(line):
            kept.append(line)
            in_frame = True
        elif in_frame and line.startswith("    "):
            kept.append(line)  # the frame's code and its ^^^ markers
        else:
            # The first line after the frames names the exception; the lines after it
            # are the rest of its message, and go.
            after_frames, in_frame = in_frame, False
            if line.startswith("Traceback (") or line.strip() in _SEPARATORS:
                kept.append(line)
            elif after_frames and (match := _EXCEPTION_LINE.match(line)):
                kept.append(describe_named(match.group(1), match.group(2) or ""))
    return "\n".join(kept)


def _scrub_argument(value: Any) -> Any:
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, BaseException):
        return describe(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Mapping):
        return {key: _scrub_field(key, item) for key, item in value.items()}
    return scrub_text(repr(value) if isinstance(value, list | tuple | set) else str(value))


def _scrub_field(key: Any, value: Any) -> Any:
    return REDACTED if key in REASON_FIELDS else _scrub_argument(value)


# Loggers whose formatters read the record's arguments (uvicorn's access log unpacks
# client, method, path, version and status): their arguments are scrubbed one by one.
KEEPS_ARGUMENTS = frozenset({"uvicorn.access"})


def scrub_record(record: logging.LogRecord) -> None:
    """Scrub a record in place: its message is rendered and scrubbed as a whole (so a
    reason quoted in a format string is found too), its exception becomes text."""
    if isinstance(record.msg, BaseException):
        record.msg = describe(record.msg)
    if isinstance(record.args, Mapping):
        record.args = {key: _scrub_field(key, value) for key, value in record.args.items()}
    elif record.args:
        record.args = tuple(_scrub_argument(value) for value in record.args)
    if record.name not in KEEPS_ARGUMENTS:
        try:
            message = record.getMessage()
        except (TypeError, ValueError, KeyError):
            message = None  # formatting fails later and says so, with scrubbed arguments
        if message is not None:
            record.msg, record.args = scrub_text(message), ()
    if record.exc_info and record.exc_info[1] is not None:
        record.exc_text = format_exception(record.exc_info[1])
        record.exc_info = None


class _ScrubbingFactory:
    """The logging record factory that scrubs every record it makes."""

    def __init__(self, previous: Any) -> None:
        self._previous = previous

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record: logging.LogRecord = self._previous(*args, **kwargs)
        scrub_record(record)
        return record


def install_log_scrubber() -> None:
    """Scrub every log record of this process from now on (idempotent)."""
    current = logging.getLogRecordFactory()
    if not isinstance(current, _ScrubbingFactory):
        logging.setLogRecordFactory(_ScrubbingFactory(current))
