"""The Office's queue shows the single-permit decision deadline.

Revision ID: residence_0002
Revises: residence_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "residence_0002"
down_revision = "residence_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("residence_queue") as batch:
        batch.add_column(sa.Column("complete_on", sa.Date, nullable=True))
        batch.add_column(sa.Column("suspensions", sa.JSON, nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("residence_queue") as batch:
        batch.drop_column("suspensions")
        batch.drop_column("complete_on")
