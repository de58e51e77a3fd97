"""The ``Idempotency-Key`` header on every JSON POST of every service (see ``idempotency``).

An ASGI middleware, installed once by ``create_app``: it scopes the key to the verified
caller (a token that does not verify is left to the route, which answers 401), claims
it, runs the route inside the claim, and keeps or releases the answer. Its own refusals
are RFC 9457 problems that never echo the key or the body.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from guichet_core.http.auth import Unauthenticated, VerifierUnavailable
from guichet_core.http.problem_docs import PROBLEM_JSON, PROBLEM_SCHEMA
from guichet_core.http.verifier import TokenVerifier
from guichet_core.stores.idempotency import (
    HEADER,
    Answered,
    Busy,
    ClaimLost,
    IdempotencyStore,
    claimed,
    dossier_of,
    hash_of,
    scope_of,
)

_MAX_KEY = 255
_PROBLEM = {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}}
_ANSWERS = {
    "400": "the Idempotency-Key is not 1 to 255 visible ASCII characters",
    "409": "a request with this Idempotency-Key is in flight (see Retry-After), or was "
    "carried out without its answer kept",
    "422": "this Idempotency-Key was used for a different request",
}


def install_idempotency(app: FastAPI) -> None:
    """Honour ``Idempotency-Key`` on every POST of ``app`` and say so in its OpenAPI."""
    app.add_middleware(IdempotencyMiddleware)
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = generate()
        for operations in schema.get("paths", {}).values():
            post = operations.get("post")
            content = (post or {}).get("requestBody", {}).get("content", {})
            if post is None or "application/json" not in content:
                continue
            post.setdefault("parameters", []).append(
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": False,
                    "description": "A new UUID per request: a retry with the same key and body "
                    "gets the first answer, and nothing happens twice (kept 24 h)",
                    "schema": {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": _MAX_KEY,
                        "pattern": "^[!-~]+$",
                    },
                }
            )
            responses = post.setdefault("responses", {})
            for code, text in _ANSWERS.items():
                responses.setdefault(code, {"description": text, "content": _PROBLEM})
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = _header(scope, HEADER) if scope["type"] == "http" else None
        if key is None or scope["method"] != "POST" or not _is_json(scope):
            # A streamed import (CSV, JSON lines) is not buffered here: it is idempotent
            # by record (every declaration is recorded once).
            await self.app(scope, receive, send)
            return
        if not 0 < len(key) <= _MAX_KEY or not all(0x21 <= ord(c) <= 0x7E for c in key):
            reason = "the Idempotency-Key header holds 1 to 255 visible ASCII characters"
            await problem(send, 400, reason + ": a new UUID per request is a good key")
            return
        caller = await _caller(scope)
        runtime = getattr(scope["app"].state, "runtime", None)
        if caller is None or runtime is None or runtime.idempotency is None:
            await self.app(scope, receive, send)  # the route refuses the token itself
            return
        body = await _body(receive)
        store: IdempotencyStore = runtime.idempotency
        outcome = await store.claim(scope_of(caller, "POST", scope["path"], key), hash_of(body))
        if isinstance(outcome, Answered):
            await _replay(send, outcome)
            return
        if isinstance(outcome, Busy):
            await problem(send, outcome.status, outcome.reason, retry_after=outcome.retry_after)
            return
        answer = _Recorder(send)
        try:
            with claimed(store, outcome):
                await self.app(scope, _replaying(body), answer.send)
        except ClaimLost as error:
            await store.release(outcome)  # nothing of this answer has left: the other's counts
            await problem(send, 409, str(error) + ": its answer is the one that counts")
            return
        except BaseException:
            await store.release(outcome)
            raise
        if 200 <= answer.status < 300:
            response = b"".join(answer.chunks)
            await store.complete(
                outcome,
                status_code=answer.status,
                content_type=answer.content_type,
                body=response,
                dossier_id=dossier_of(scope, body, response),
            )
        else:
            await store.release(outcome)  # a refusal: the client may correct and retry
        # Only now does the answer leave: a client that got it finds it kept on a retry
        # (a crash between the two used to leave an acknowledged key without its answer).
        await answer.flush()


class _Recorder:
    """Holds the answer back, and a copy of it, until it is kept (``flush`` sends it)."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self._held: list[Message] = []
        self.started = False
        self.status = 500
        self.content_type = "application/json"
        self.chunks: list[bytes] = []

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started, self.status = True, int(message["status"])
            for name, value in message.get("headers", []):
                if name.lower() == b"content-type":
                    self.content_type = value.decode("latin-1")[:100]
        elif message["type"] == "http.response.body":
            self.chunks.append(message.get("body", b""))
        self._held.append(message)

    async def flush(self) -> None:
        held, self._held = self._held, []
        for message in held:
            await self._send(message)


def _is_json(scope: Scope) -> bool:
    media_type = (_header(scope, "content-type") or "application/json").split(";")[0]
    media_type = media_type.strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


def _header(scope: Scope, name: str) -> str | None:
    wanted = name.encode()
    for header, value in scope.get("headers", []):
        if header.lower() == wanted:
            return str(value.decode("latin-1"))
    return None


async def _caller(scope: Scope) -> str | None:
    """The verified caller (authority, subject, agent), or None when the token fails."""
    authorization = _header(scope, "authorization") or ""
    if not authorization.lower().startswith("bearer "):
        return None
    token = authorization[7:].strip()
    verifier: TokenVerifier | None = getattr(scope["app"].state, "verifier", None)
    if verifier is None:
        return None
    try:
        caller = verifier.cached(token)
        if caller is None:
            verify = verifier.verify
            caller = (
                await run_in_threadpool(verify, token) if verifier.keys.may_block else verify(token)
            )
    except (Unauthenticated, VerifierUnavailable):
        return None
    return "\x1f".join((caller.authority.value, caller.subject, caller.agent_id))


async def _body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replaying(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


async def _replay(send: Send, answered: Answered) -> None:
    headers = [
        (b"content-type", answered.content_type.encode("latin-1")),
        (b"content-length", str(len(answered.body)).encode()),
        (b"idempotent-replayed", b"true"),
    ]
    await send({"type": "http.response.start", "status": answered.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": answered.body})


async def problem(send: Send, status: int, detail: str, *, retry_after: int | None = None) -> None:
    """An RFC 9457 problem; ``detail`` says what to do and echoes nothing of the request."""
    document: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    body = json.dumps(document).encode()
    headers = [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()),
    ]
    if retry_after is not None:
        headers.append((b"retry-after", str(retry_after).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
