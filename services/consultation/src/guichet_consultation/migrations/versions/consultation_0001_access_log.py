"""Consultation's own tables: the hash-chained access log, projection generations.

Revision ID: consultation_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "consultation_0001"
down_revision = None
branch_labels = ("consultation",)
depends_on = "core_0001"

JsonType = sa.JSON().with_variant(JSONB(), "postgresql")
Seq = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "access_log",
        sa.Column("seq", Seq, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("authority", sa.String(20), nullable=False),
        sa.Column("agent_id", sa.String(200), nullable=False),
        sa.Column("roles", JsonType, nullable=False),
        sa.Column("purpose", sa.String(200), nullable=True),
        sa.Column("dossier_id", sa.String(64), nullable=True),
        sa.Column("categories", JsonType, nullable=False),  # the data categories read
        sa.Column("withheld", JsonType, nullable=False),  # the data categories refused
        sa.Column("outcome", sa.String(10), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.CheckConstraint(
            "outcome in ('allowed', 'partial', 'denied')", name="ck_access_log_outcome"
        ),
    )
    op.create_index("ix_access_log_dossier", "access_log", ["dossier_id"])
    op.create_table(
        "projection_generations",
        sa.Column("generation", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state in ('building', 'active', 'retired')", name="ck_projection_generations_state"
        ),
    )
    # At most one generation serves reads: retire the old one before activating the new.
    op.create_index(
        "uq_projection_generations_active",
        "projection_generations",
        ["state"],
        unique=True,
        postgresql_where=sa.text("state = 'active'"),
        sqlite_where=sa.text("state = 'active'"),
    )


def downgrade() -> None:
    op.drop_table("projection_generations")
    op.drop_table("access_log")
