"""The Immigration Office's queue of single-permit dossiers.

Revision ID: residence_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "residence_0001"
down_revision = None
branch_labels = ("residence_decision",)
depends_on = "core_0001"


def upgrade() -> None:
    op.create_table(
        "residence_queue",
        sa.Column("application_id", sa.Uuid, primary_key=True),
        sa.Column("status", sa.String(40), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("work_authorised_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("work_valid_until", sa.Date, nullable=True),
    )
    op.create_index("ix_residence_queue_status", "residence_queue", ["status"])


def downgrade() -> None:
    op.drop_table("residence_queue")
