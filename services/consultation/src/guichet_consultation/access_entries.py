"""The access log's entries: the table, what is appended and what is stored, and the hash
that chains each entry to the one before it (Art. 29). Pure but for the table's shape.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    Row,
    String,
    Table,
)
from sqlalchemy.dialects.postgresql import JSONB

from guichet_consultation.domain import Outcome
from guichet_consultation.policy import DataCategory, Verdict
from guichet_core.http.auth import Caller
from guichet_core.kernel.store.database import as_utc

__all__ = [
    "GENESIS",
    "OUTCOMES",
    "AccessEntry",
    "AccessRecord",
    "ChainCheck",
    "Outcome",
    "access_log",
    "chain_hash",
    "entry_for",
    "record_of",
]

metadata = MetaData()
JsonType = JSON().with_variant(JSONB(), "postgresql")
Seq = BigInteger().with_variant(Integer(), "sqlite")

access_log = Table(
    "access_log",
    metadata,
    Column("seq", Seq, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("authority", String(20), nullable=False),
    Column("agent_id", String(200), nullable=False),
    Column("roles", JsonType, nullable=False),
    Column("purpose", String(200), nullable=True),
    Column("dossier_id", String(64), nullable=True),
    Column("categories", JsonType, nullable=False),
    Column("withheld", JsonType, nullable=False),
    Column("outcome", String(10), nullable=False),
    Column("route", String(220), nullable=True),  # a refusal's "service METHOD /template"
    Column("reason", String(40), nullable=True),  # a refusal's category (not_permitted, …)
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)
Index("ix_access_log_dossier", access_log.c.dossier_id)

OUTCOMES: frozenset[str] = frozenset({"allowed", "partial", "denied"})
GENESIS = "0" * 64  # the previous hash of the first entry


@dataclass(frozen=True)
class AccessEntry:
    """One consultation, as the consultation service saw it."""

    authority: str
    agent_id: str
    roles: Sequence[str]
    purpose: str | None
    dossier_id: str | None  # None for a search
    categories: Sequence[str]  # the data categories read
    withheld: Sequence[str]  # the data categories refused
    outcome: str  # an ``Outcome``: "allowed" | "partial" | "denied" (checked)
    at: datetime | None = None  # now, when None
    route: str | None = None  # a refused attempt elsewhere: "service METHOD /template"
    reason: str | None = None  # and its category: "not_permitted", "not_found"

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {sorted(OUTCOMES)}, not {self.outcome!r}")
        if not self.authority or not self.agent_id:
            raise ValueError("an access entry names its authority and agent")


@dataclass(frozen=True)
class AccessRecord:
    """A stored entry: what the data subject and the supervisor read."""

    seq: int
    at: datetime
    authority: str
    agent_id: str
    roles: list[str]
    purpose: str | None
    dossier_id: str | None
    categories: list[str]
    withheld: list[str]
    outcome: str
    prev_hash: str
    hash: str
    route: str | None = None
    reason: str | None = None

    def fields(self) -> dict[str, Any]:
        """The hashed fields, in canonical form."""
        return {
            "seq": self.seq,
            "at": as_utc(self.at).isoformat(timespec="microseconds"),
            "authority": self.authority,
            "agent_id": self.agent_id,
            "roles": list(self.roles),
            "purpose": self.purpose,
            "dossier_id": self.dossier_id,
            "categories": list(self.categories),
            "withheld": list(self.withheld),
            "outcome": self.outcome,
            # Hashed when present only: the entries written before these existed keep
            # their hashes.
            **({"route": self.route} if self.route is not None else {}),
            **({"reason": self.reason} if self.reason is not None else {}),
        }


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    entries: int  # entries read, up to and including the first broken one
    first_broken_seq: int | None = None
    detail: str | None = None  # what is wrong at ``first_broken_seq``
    head: str | None = field(default=None)  # the newest entry's hash, when ``ok``


def chain_hash(prev_hash: str, fields: Mapping[str, Any]) -> str:
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{prev_hash}\n{canonical}".encode()).hexdigest()


def record_of(row: Row[Any]) -> AccessRecord:
    return AccessRecord(
        seq=row.seq,
        at=as_utc(row.at),
        authority=row.authority,
        agent_id=row.agent_id,
        roles=list(row.roles),
        purpose=row.purpose,
        dossier_id=row.dossier_id,
        categories=list(row.categories),
        withheld=list(row.withheld),
        outcome=row.outcome,
        prev_hash=row.prev_hash,
        hash=row.hash,
        route=row.route,
        reason=row.reason,
    )


def entry_for(
    caller: Caller,
    verdicts: Mapping[DataCategory, Verdict],
    *,
    dossier_id: str | None,
    requested: Iterable[DataCategory] | None = None,
) -> AccessEntry:
    """The entry for one consultation judged by ``policy.evaluate`` (of ``requested`` only)."""
    asked = list(requested) if requested is not None else list(verdicts)
    read = [c.value for c in DataCategory if c in asked and verdicts[c].allowed]
    withheld = [c.value for c in DataCategory if c in asked and not verdicts[c].allowed]
    outcome: Outcome = "denied" if not read else "partial" if withheld else "allowed"
    return AccessEntry(
        caller.authority.value,
        caller.agent_id,
        sorted(caller.roles),
        caller.purpose,
        dossier_id,
        read,
        withheld,
        outcome,
    )
