"""Revoked tokens: a deny-list every service reads before it trusts a token.

A token stays valid until it expires unless revoked here (GDPR Art. 32: a stolen token
must be stoppable). Two kinds of revocation, in one table ``token_revocations`` of the
platform's shared schema ``<namespace>revocations`` (or the SQLite file
``<data_dir>/<namespace>revocations.sqlite3``), migrated like the key store under the
per-schema migration lock:

- one token, by its ``jti`` (every development token has one);
- every token of a subject issued before a time: for identity-provider tokens without
  a ``jti``, or to cut off a subject altogether. The subject (a NISS for an applicant)
  is stored as a keyed hash only.

A row is kept until no token it could refuse can still be valid (the longest lifetime a
token may have, plus the leeway), then deleted. Each service reads the list at most every
``revocation_cache_seconds`` (≤ 5 s): a revoked token is refused within that window.
Written by ``POST /auth/revocations`` (``REVOKERS`` only) and ``guichet token revoke``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import Column, DateTime, Integer, MetaData, Table, Text, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from guichet_contracts.vocabulary import Authority
from guichet_core.http.auth import Caller, require_authority
from guichet_core.kernel.settings import ServiceSettings
from guichet_core.stores.master_key import master_key_for
from guichet_core.stores.shared_stores import open_shared_database

REVOKERS: frozenset[Authority] = frozenset({Authority.PLATFORM_OPS})
"""Who may revoke a token: the operators of the platform, for the processor ONSS (Art. 8)."""

token_revocations = Table(
    "token_revocations",
    MetaData(),
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("jti", Text),
    Column("subject_index", Text),
    Column("not_before", DateTime(timezone=True)),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True)
class _Snapshot:
    jtis: frozenset[str]
    subjects: dict[str, float]  # subject index → tokens issued before this are refused
    read_at: float


class RevocationList:
    """The deny-list, read through a cache of at most ``cache_seconds``."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        subject_key: bytes,
        keep: timedelta,
        cache_seconds: float = 5.0,
    ) -> None:
        self.engine, self.keep, self.cache_seconds = engine, keep, cache_seconds
        self._key = hmac.new(subject_key, b"guichet token revocation v1", hashlib.sha256).digest()
        self._snapshot: _Snapshot | None = None
        self._lock = asyncio.Lock()

    def _subject_index(self, subject: str) -> str:
        return hmac.new(self._key, subject.encode(), hashlib.sha256).hexdigest()

    async def revoke_token(self, jti: str) -> None:
        """Refuse the token whose ``jti`` this is, on every service."""
        await self._insert(jti=jti)

    async def revoke_subject(self, subject: str, *, before: datetime | None = None) -> None:
        """Refuse every token of ``subject`` issued before ``before`` (default: now)."""
        await self._insert(
            subject_index=self._subject_index(subject), not_before=before or datetime.now(UTC)
        )

    async def _insert(self, **values: object) -> None:
        now = datetime.now(UTC)
        async with self.engine.begin() as connection:
            await connection.execute(
                delete(token_revocations).where(token_revocations.c.expires_at < now)
            )
            await connection.execute(
                insert(token_revocations).values(
                    **values, expires_at=now + self.keep, revoked_at=now
                )
            )
        self._snapshot = None  # this process sees its own revocation at once

    async def is_revoked(self, caller: Caller) -> bool:
        snapshot = await self._current()
        if caller.token_id is not None and caller.token_id in snapshot.jtis:
            return True
        not_before = snapshot.subjects.get(self._subject_index(caller.subject))
        issued_at = caller.issued_at if caller.issued_at is not None else 0.0
        return not_before is not None and issued_at <= not_before

    async def _current(self) -> _Snapshot:
        snapshot = self._snapshot
        if snapshot is not None and time.monotonic() - snapshot.read_at < self.cache_seconds:
            return snapshot
        async with self._lock:
            snapshot = self._snapshot
            if snapshot is None or time.monotonic() - snapshot.read_at >= self.cache_seconds:
                snapshot = self._snapshot = await self._read()
            return snapshot

    async def _read(self) -> _Snapshot:
        table = token_revocations
        query = select(table.c.jti, table.c.subject_index, table.c.not_before).where(
            table.c.expires_at >= datetime.now(UTC)
        )
        async with self.engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        jtis = frozenset(row.jti for row in rows if row.jti is not None)
        subjects: dict[str, float] = {}
        for row in rows:
            if row.subject_index is not None and row.not_before is not None:
                moment = row.not_before
                if moment.tzinfo is None:  # SQLite gives naive UTC back
                    moment = moment.replace(tzinfo=UTC)
                at = moment.timestamp()
                subjects[row.subject_index] = max(at, subjects.get(row.subject_index, at))
        return _Snapshot(jtis, subjects, time.monotonic())


async def open_revocations(settings: ServiceSettings) -> tuple[RevocationList, AsyncEngine]:
    """The deny-list on its migrated schema; the caller disposes of the engine.

    A row is kept as long as the longest-lived token it could refuse may live."""
    auth = settings.auth
    longest = max(auth.max_token_lifetime_seconds, auth.max_authority_token_lifetime_seconds)
    keep = timedelta(seconds=longest + 2 * auth.leeway_seconds)
    subject_key = master_key_for(settings).key  # refuse before touching any database
    engine = await open_shared_database(settings, "revocations")
    revocations = RevocationList(
        engine, subject_key=subject_key, keep=keep, cache_seconds=auth.revocation_cache_seconds
    )
    return revocations, engine


class RevocationRequest(BaseModel):
    """One token by its ``jti``, or every token of a subject issued until now."""

    model_config = ConfigDict(extra="forbid")

    jti: str | None = Field(default=None, min_length=1, max_length=200)
    subject: str | None = Field(default=None, min_length=1, max_length=200)

    @model_validator(mode="after")
    def _one_of(self) -> RevocationRequest:
        if (self.jti is None) == (self.subject is None):
            raise ValueError("name exactly one of 'jti' (one token) or 'subject' (all its tokens)")
        return self


class RevocationRecorded(BaseModel):
    revoked: Literal["token", "subject"]
    effective_within_seconds: float  # every service refuses the token(s) by then


def revocation_router() -> APIRouter:
    """``POST /auth/revocations``, on every service: the deny-list is shared."""
    router = APIRouter(tags=["operations"])

    @router.post(
        "/auth/revocations",
        status_code=201,
        responses={401: {"description": "No valid token"}, 403: {"description": "Not OPS"}},
    )
    async def revoke(
        body: RevocationRequest,
        request: Request,
        _caller: Annotated[Caller, Depends(require_authority(REVOKERS))],
    ) -> RevocationRecorded:
        """Revoke a token (by ``jti``) or every token of a subject issued until now: each
        service refuses it with 401 within ``effective_within_seconds`` (GDPR Art. 32)."""
        revocations: RevocationList = request.app.state.revocations
        if body.jti is not None:
            await revocations.revoke_token(body.jti)
            kind: Literal["token", "subject"] = "token"
        else:
            assert body.subject is not None
            await revocations.revoke_subject(body.subject)
            kind = "subject"
        return RevocationRecorded(revoked=kind, effective_within_seconds=revocations.cache_seconds)

    return router
