"""The deletion schedule of Art. 27.

Revision ID: retention_0002
Revises: retention_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "retention_0002"
down_revision = "retention_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "retention_schedule",
        sa.Column("dossier_id", sa.String(64), primary_key=True),
        sa.Column("state", sa.JSON, nullable=False),
        sa.Column("due_on", sa.Date, nullable=True),
        sa.Column("rule", sa.String(40), nullable=True),
        sa.Column("why", sa.Text, nullable=False),
        sa.Column("held", sa.Boolean, nullable=False),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_retention_schedule_due", "retention_schedule", ["due_on"])
    # The schedule is derived from the log: a store made anew (new epoch) reads the log
    # again from its first message, under a consumer group of its own.
    op.create_table("store_identity", sa.Column("epoch", sa.String(32), primary_key=True))


def downgrade() -> None:
    op.drop_table("store_identity")
    op.drop_table("retention_schedule")
