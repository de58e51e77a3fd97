"""Intake's own tables (migration ``intake_0001``)."""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, Integer, MetaData, String, Table

metadata = MetaData()

documents = Table(
    "documents",
    metadata,
    Column("document_id", String(64), primary_key=True),
    Column("dossier_id", String(64), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("media_type", String(40), nullable=False),
    Column("size_bytes", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("sealed", JSON, nullable=False),
    Column("stored_at", DateTime(timezone=True), nullable=False),
)

applicant_access = Table(
    "applicant_access",
    metadata,
    Column("dossier_id", String(64), primary_key=True),
    Column("subject", String(200), primary_key=True),
)

dossier_status = Table(
    "dossier_status",
    metadata,
    Column("dossier_id", String(64), primary_key=True),
    Column("view", JSON, nullable=False),
)
