"""Work queue: the decision deadline and the dossier version.

Revision ID: regional_0002
Revises: regional_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "regional_0002"
down_revision = "regional_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("work_queue") as batch:
        batch.add_column(sa.Column("version", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("complete_on", sa.Date, nullable=True))
        batch.add_column(sa.Column("suspensions", sa.JSON, nullable=False, server_default="[]"))
        batch.add_column(
            sa.Column("decided", sa.Boolean, nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("work_queue") as batch:
        batch.drop_column("decided")
        batch.drop_column("suspensions")
        batch.drop_column("complete_on")
        batch.drop_column("version")
