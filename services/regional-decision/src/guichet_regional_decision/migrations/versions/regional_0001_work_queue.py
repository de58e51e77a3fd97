"""Work queue of the competent regions.

Revision ID: regional_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "regional_0001"
down_revision = None
branch_labels = ("regional_decision",)
depends_on = "core_0001"


def upgrade() -> None:
    op.create_table(
        "work_queue",
        sa.Column("application_id", sa.Uuid, primary_key=True),
        sa.Column("authority", sa.String(8), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("category", sa.String(60), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(40), nullable=False),
    )
    op.create_index("ix_work_queue_authority", "work_queue", ["authority", "filed_at"])


def downgrade() -> None:
    op.drop_table("work_queue")
