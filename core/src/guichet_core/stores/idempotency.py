"""Idempotent POSTs: a client that retries with the same ``Idempotency-Key`` gets the first
answer (same status, same body), never a second dossier, decision or request.

A client whose filing timed out cannot know whether it was recorded; the platform must
let it ask again safely (Art. 19-20: one filing, one dossier). ``IdempotencyMiddleware``
(installed by ``create_app`` in every service) handles each POST that carries the header:

1. it claims the caller's key for this route (``IdempotencyStore.claim``) with the hash
   of the body and a lease, in its own transaction;
2. the handler runs; the first unit of work it opens marks the claim *committed* in the
   same transaction as the effect (``fence``), and refuses to commit if another request
   took the claim over meanwhile, so an effect happens at most once;
3. a 2xx answer is kept, its body sealed with the dossier's key (it may hold personal
   data); any other answer releases the key, so the client may correct and retry.

A retry with the same body gets the kept answer; with another body, 422; while the
first is in flight, 409 with ``Retry-After``. A request that died before committing
(its lease ran out) is taken over; one that committed but died before its answer was
kept gets 409 naming the dossier. Keys expire after ``idempotency_ttl_seconds`` (24 h).
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import json
import secrets
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from guichet_contracts.sealed import SealedData
from guichet_core.kernel.store.database import as_utc
from guichet_core.stores.vault import KeyNotFound, KeyShredded, PersonalDataVault

HEADER = "idempotency-key"
LEASE = timedelta(seconds=60)  # a first request still running after this is presumed dead

idempotency_keys = sa.Table(  # created by the migration core_0004
    "idempotency_keys",
    sa.MetaData(),
    sa.Column("scope", sa.String(64), primary_key=True),
    sa.Column("request_hash", sa.String(64), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("lease_id", sa.String(32), nullable=False),
    sa.Column("lease_until", sa.DateTime(timezone=True), nullable=False),
    sa.Column("status_code", sa.Integer, nullable=True),
    sa.Column("content_type", sa.String(100), nullable=True),
    sa.Column("dossier_id", sa.String(64), nullable=True),
    sa.Column("sealed_response", sa.JSON, nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
)
_k = idempotency_keys.c
_IN_FLIGHT = "a request with this Idempotency-Key is still being processed: retry after a moment"


def scope_of(caller: str, method: str, path: str, key: str) -> str:
    """One caller's key on one route, hashed: the table holds no caller id in clear."""
    return hashlib.sha256("\x1f".join((caller, method, path, key)).encode()).hexdigest()


def hash_of(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


@dataclass(frozen=True)
class Claim:
    """This request owns the key: run it, then ``complete`` or ``release``."""

    scope: str
    lease_id: str


@dataclass(frozen=True)
class Answered:
    """The first request was answered: the same answer again."""

    status_code: int
    content_type: str
    body: bytes


@dataclass(frozen=True)
class Busy:
    """Why the key cannot be used now; ``status`` 409 or 422, ``reason`` says what to do."""

    status: Literal[409, 410, 422]
    reason: str
    retry_after: int | None = None


class ClaimLost(Exception):
    """Another request took this key over: this one must not commit its effect."""


_current: contextvars.ContextVar[tuple[IdempotencyStore, Claim] | None] = contextvars.ContextVar(
    "guichet_idempotency_claim", default=None
)


@contextlib.contextmanager
def claimed(store: IdempotencyStore, claim: Claim) -> Iterator[None]:
    """Run a request inside its claim: its units of work ``fence`` it."""
    token = _current.set((store, claim))
    try:
        yield
    finally:
        _current.reset(token)


async def fence(connection: AsyncConnection) -> None:
    """In a unit of work of a request that claimed a key: mark the claim committed in this
    transaction, or raise ``ClaimLost`` (the transaction then rolls back)."""
    current = _current.get()
    if current is not None:
        store, claim = current
        await store.fence(connection, claim)


class IdempotencyStore:
    """The service's ``idempotency_keys`` table, in its own database."""

    def __init__(
        self,
        engine: AsyncEngine,
        vault: PersonalDataVault,
        *,
        ttl: timedelta = timedelta(hours=24),
        lease: timedelta = LEASE,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.engine, self.vault, self.ttl, self.lease, self.now = engine, vault, ttl, lease, now

    async def claim(self, scope: str, request_hash: str) -> Claim | Answered | Busy:
        """Own the key, or say what the first request with it became."""
        for _ in range(3):
            try:
                return await self._claim(scope, request_hash)
            except sa.exc.IntegrityError:  # a concurrent first claim won the insert
                continue
        return Busy(409, _IN_FLIGHT, retry_after=1)

    async def _claim(self, scope: str, request_hash: str) -> Claim | Answered | Busy:
        now = self.now()
        lease_id = secrets.token_hex(16)
        async with self.engine.begin() as connection:
            await connection.execute(idempotency_keys.delete().where(_k.expires_at < now))
            existing = (
                await connection.execute(sa.select(idempotency_keys).where(_k.scope == scope))
            ).first()
            if existing is None:
                row = {
                    "scope": scope,
                    "request_hash": request_hash,
                    "state": "in_flight",
                    "lease_id": lease_id,
                    "lease_until": now + self.lease,
                    "created_at": now,
                    "expires_at": now + self.ttl,
                }
                await connection.execute(idempotency_keys.insert().values(row))
                return Claim(scope, lease_id)
            if existing.request_hash != request_hash:
                return Busy(
                    422,
                    "this Idempotency-Key was used for a different request: "
                    "send a new key with a new request",
                )
            if existing.state == "done":
                return await self._answer(existing)
            return await self._take_over(connection, existing, lease_id=lease_id, now=now)

    async def _take_over(
        self, connection: AsyncConnection, existing: Any, *, lease_id: str, now: datetime
    ) -> Claim | Busy:
        """The first request with the key is not answered: wait for it, or take its
        claim over if it died before committing anything."""
        if existing.state == "committed":
            return Busy(
                409,
                "the first request with this Idempotency-Key was carried out "
                "but its answer was not kept: look the result up before "
                "sending it again",
            )
        if as_utc(existing.lease_until) > now:
            wait = int((as_utc(existing.lease_until) - now).total_seconds()) + 1
            return Busy(409, _IN_FLIGHT, retry_after=wait)
        taken = await connection.execute(
            idempotency_keys.update()
            .where(
                _k.scope == existing.scope,
                _k.lease_id == existing.lease_id,
                _k.state == "in_flight",
            )
            .values(lease_id=lease_id, lease_until=now + self.lease)
        )
        if taken.rowcount != 1:
            return Busy(409, _IN_FLIGHT, retry_after=1)
        return Claim(existing.scope, lease_id)

    async def fence(self, connection: AsyncConnection, claim: Claim) -> None:
        marked = await connection.execute(
            idempotency_keys.update()
            .where(
                _k.scope == claim.scope,
                _k.lease_id == claim.lease_id,
                _k.state.in_(("in_flight", "committed")),
            )
            .values(state="committed")
        )
        if marked.rowcount != 1:
            raise ClaimLost("another request with this Idempotency-Key took it over")

    async def complete(
        self,
        claim: Claim,
        *,
        status_code: int,
        content_type: str,
        body: bytes,
        dossier_id: str | None,
    ) -> None:
        """Keep the answer, its body sealed with the dossier's key; without a dossier to
        seal it with, only that it was answered."""
        sealed = None
        if dossier_id is not None:
            try:  # only with the key of a dossier the platform holds: never a new key
                await self.vault.key_store.get_key(dossier_id)
                sealed = (await self.vault.seal_bytes(dossier_id, body)).model_dump()
            except (KeyNotFound, KeyShredded):
                dossier_id = None
        async with self.engine.begin() as connection:
            await connection.execute(
                idempotency_keys.update()
                .where(_k.scope == claim.scope, _k.lease_id == claim.lease_id)
                .values(
                    state="done",
                    status_code=status_code,
                    content_type=content_type,
                    dossier_id=dossier_id,
                    sealed_response=sealed,
                )
            )

    async def release(self, claim: Claim) -> None:
        """The request was refused, or failed before committing: the key is free again."""
        async with self.engine.begin() as connection:
            await connection.execute(
                idempotency_keys.delete().where(
                    _k.scope == claim.scope,
                    _k.lease_id == claim.lease_id,
                    _k.state == "in_flight",
                )
            )

    async def _answer(self, row: Any) -> Answered | Busy:
        if row.sealed_response is None or row.dossier_id is None:
            return Busy(
                409,
                "the first request with this Idempotency-Key was carried out; "
                "its answer is not kept: look the result up",
            )
        try:
            body = await self.vault.unseal_bytes(
                SealedData.model_validate(row.sealed_response), dossier_id=row.dossier_id
            )
        except (KeyShredded, KeyNotFound):
            return Busy(410, "the dossier this request concerned was erased (Art. 27)")
        return Answered(row.status_code, row.content_type or "application/json", body)


def dossier_of(scope: Mapping[str, Any], request: bytes, response: bytes) -> str | None:
    """The dossier an answer is about: the route's id, else the id the answer or the
    request names (a filing's new application, a rights request's dossier)."""
    params = scope.get("path_params") or {}
    for name in ("application_id", "dossier_id"):
        if params.get(name):
            return str(params[name])
    for document in (response, request):
        try:
            data = json.loads(document)
        except ValueError:
            continue
        if isinstance(data, dict):
            for name in ("application_id", "dossier_id"):
                if isinstance(data.get(name), str) and len(data[name]) <= 64:
                    return str(data[name])
    return None
