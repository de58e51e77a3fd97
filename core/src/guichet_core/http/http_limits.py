"""What every request must be before a route reads it: the ``RequestGuard``.

Installed by ``create_app`` in front of every service (issue 12, defects 3 and 4):

- **Size**: a body over its route's limit is refused with 413, by its Content-Length
  before a byte is read, and by counting as it arrives when it is chunked. The limit is
  1 MiB unless the route declares its own with ``openapi_extra=body_limit(...)`` (which
  also puts it in the OpenAPI as ``x-body-limit``); a *streamed* route (an import) reads
  its body as it arrives and the guard stops it at the limit.
- **Input no store can keep**: a JSON body (or one without a content type, which FastAPI
  reads as JSON) is checked by ``refuse_unsafe_json``: not JSON (NaN, Infinity, a lone
  surrogate, invalid UTF-8), nested past 32 levels, or a NUL character in a string or key
  (PostgreSQL stores no U+0000) → 422. A NUL in the path or the query string → 422 too.

Every refusal is a problem (``guichet_core.http.problems``) that never echoes the input.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_to_bytes

import orjson
from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from guichet_core.http.problems import problem_response, summary

DEFAULT_BODY_LIMIT = 1024 * 1024
MAX_JSON_DEPTH = 32
LIMIT, SETTING, STREAMED = "x-body-limit", "x-body-limit-setting", "x-body-streamed"


def body_limit(
    max_bytes: int | None = None, *, setting: str | None = None, streamed: bool = False
) -> dict[str, Any]:
    """A route's body limit, for its ``openapi_extra``: a number of bytes, or the name of
    the service's setting that holds it; ``streamed`` for a route that reads its body as
    it arrives (the guard then counts instead of reading it first)."""
    if (max_bytes is None) == (setting is None):
        raise ValueError("give max_bytes or setting")
    extra: dict[str, Any] = {LIMIT: max_bytes} if max_bytes is not None else {SETTING: setting}
    if streamed:
        extra[STREAMED] = True
    return extra


class UnsafeInput(ValueError):
    """JSON that no service can parse safely or store: where, why, and its error type."""

    def __init__(self, loc: tuple[str | int, ...], msg: str, type_: str) -> None:
        super().__init__(msg)
        self.loc, self.msg, self.type = loc, msg, type_

    def error(self, *prefix: str) -> dict[str, Any]:
        return {"loc": [*prefix, *self.loc], "msg": self.msg, "type": self.type}


def refuse_unsafe_json(text: bytes | str, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """The parsed JSON value, or ``UnsafeInput``: never a RecursionError, NaN, lone
    surrogate or NUL character (orjson refuses the first three; the walk the others)."""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as error:
        reason = str(error).split(":", 1)[0]  # orjson's reason, without its position
        if "depth" in reason:
            raise UnsafeInput((), _too_deep(max_depth), "json_too_deep") from None
        if reason.startswith("unexpected character"):
            reason += " (NaN and Infinity are not JSON numbers)"
        raise UnsafeInput((), f"not JSON: {reason}", "json_invalid") from None
    pending: list[tuple[Any, int, tuple[str | int, ...]]] = [(value, 1, ())]
    while pending:
        node, depth, loc = pending.pop()
        if isinstance(node, str):
            if "\x00" in node:
                raise UnsafeInput(loc, _NUL, "string_nul")
            continue
        if not isinstance(node, dict | list):
            continue
        if depth > max_depth:
            raise UnsafeInput((), _too_deep(max_depth), "json_too_deep")
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, child in items:
            if isinstance(key, str) and "\x00" in key:
                raise UnsafeInput(loc, _NUL, "string_nul")
            pending.append((child, depth + 1, (*loc, key)))
    return value


_NUL = "a NUL character (U+0000) cannot be stored: remove it"


def _too_deep(max_depth: int) -> str:
    return f"nested deeper than {max_depth} levels"


@dataclass(frozen=True)
class RouteLimit:
    max_bytes: int
    streamed: bool


class BodyTooLarge(HTTPException):
    """A streamed body passed its route's limit (raised from ``receive``)."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, _too_large(max_bytes))


def _too_large(max_bytes: int) -> str:
    return f"the body is larger than this route's limit of {max_bytes} bytes: send less"


class RequestGuard:
    """The ASGI middleware: sizes first, then JSON no store can keep (see the module)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        routes: Sequence[BaseRoute],
        settings: object | None = None,
        default_limit: int = DEFAULT_BODY_LIMIT,
    ) -> None:
        self.app, self.routes, self.settings = app, routes, settings
        self.default_limit = default_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _nul_in_target(scope):
            error = UnsafeInput((), _NUL, "string_nul").error("path")
            await problem_response(422, summary([error]), errors=[error])(scope, receive, send)
            return
        limit = self.limit_for(scope)
        declared = _content_length(scope)
        if declared is not None and declared > limit.max_bytes:
            await problem_response(413, _too_large(limit.max_bytes))(scope, receive, send)
            return
        if limit.streamed:
            await self.app(scope, _counting(receive, limit.max_bytes), send)
            return
        body = await _read(receive, limit.max_bytes)
        if body is None:
            await problem_response(413, _too_large(limit.max_bytes))(scope, receive, send)
            return
        if body and _is_json(scope):
            try:
                refuse_unsafe_json(body)
            except UnsafeInput as unsafe:
                error = unsafe.error("body")
                response = problem_response(422, summary([error]), errors=[error])
                await response(scope, receive, send)
                return
        await self.app(scope, _replay(body, receive), send)

    def limit_for(self, scope: Scope) -> RouteLimit:
        path: str = scope.get("path", "")
        for prefix, route in _api_routes(self.routes):
            if not path.startswith(prefix):
                continue
            if route.matches({**scope, "path": path[len(prefix) :]})[0] is Match.FULL:
                extra = route.openapi_extra or {}
                max_bytes = extra.get(LIMIT)
                if SETTING in extra:
                    max_bytes = getattr(self.settings, extra[SETTING])
                return RouteLimit(int(max_bytes or self.default_limit), bool(extra.get(STREAMED)))
        return RouteLimit(self.default_limit, streamed=False)


def _api_routes(routes: Sequence[BaseRoute], prefix: str = "") -> Iterator[tuple[str, APIRoute]]:
    """Every route with its prefix; FastAPI keeps an included router whole (as a route
    holding ``original_router`` and its ``include_context``)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix, route
            continue
        included = getattr(route, "original_router", None)
        if included is not None:
            context = getattr(route, "include_context", None)
            yield from _api_routes(included.routes, prefix + getattr(context, "prefix", ""))


def install_request_guard(app: FastAPI, *, settings: object | None = None) -> None:
    """Put the guard in front of ``app``; routes are read from its table per request."""
    app.add_middleware(RequestGuard, routes=app.router.routes, settings=settings)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _is_json(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            media: bytes = value.split(b";", 1)[0].strip().lower()
            return media == b"application/json" or media.endswith(b"+json")
    return True  # FastAPI reads a body without a content type as JSON


def _nul_in_target(scope: Scope) -> bool:
    path: str = scope.get("path", "")
    query: bytes = scope.get("query_string", b"")
    return "\x00" in path or b"\x00" in unquote_to_bytes(query)


async def _read(receive: Receive, max_bytes: int) -> bytes | None:
    """The whole body, or None as soon as it passes ``max_bytes`` (the rest unread)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > max_bytes:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # a disconnect, when it comes

    return replayed


def _counting(receive: Receive, max_bytes: int) -> Receive:
    size = 0

    async def counted() -> Message:
        nonlocal size
        message = await receive()
        if message["type"] == "http.request":
            size += len(message.get("body", b""))
            if size > max_bytes:
                raise BodyTooLarge(max_bytes)
        return message

    return counted
