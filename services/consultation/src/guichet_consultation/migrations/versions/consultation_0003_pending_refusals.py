"""Refused attempts that reach consultation before their dossier wait for it (Art. 29).

Revision ID: consultation_0003
Revises: consultation_0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "consultation_0003"
down_revision = "consultation_0002"
branch_labels = None
depends_on = None

JsonType = sa.JSON().with_variant(JSONB(), "postgresql")
Seq = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "pending_refusals",
        sa.Column("seq", Seq, primary_key=True, autoincrement=True),
        sa.Column("dossier_id", sa.String(64), nullable=False),
        sa.Column("refusal", JsonType, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_pending_refusals_dossier", "pending_refusals", ["dossier_id"])


def downgrade() -> None:
    op.drop_index("ix_pending_refusals_dossier", table_name="pending_refusals")
    op.drop_table("pending_refusals")
