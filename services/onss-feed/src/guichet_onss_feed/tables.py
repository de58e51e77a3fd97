"""The feed's own tables: which dossier a worker's NISS links to, which records it took."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, MetaData, String, Table

metadata = MetaData()

dossier_links = Table(
    "dossier_links",
    metadata,
    Column("dossier_id", String(64), primary_key=True),
    Column("niss_index", String(64), nullable=False, index=True),  # blind index, never the NISS
    Column("employer", String(10), nullable=True),  # KBO/BCE of the dossier's employer
    Column("kind", String(40), nullable=False),
    Column("category", String(40), nullable=False),
    Column("linked_at", DateTime(timezone=True), nullable=False),
)

processed_declarations = Table(
    "processed_declarations",
    metadata,
    Column("key_hash", String(64), primary_key=True),  # keyed hash of source + natural key
    Column("dossier_id", String(64), primary_key=True),
    Column("source", String(10), nullable=False),
    Column("digest", String(64), nullable=False),  # keyed hash of the record's content
    Column("event_id", String(36), nullable=False),
    Column("processed_at", DateTime(timezone=True), nullable=False),
)
