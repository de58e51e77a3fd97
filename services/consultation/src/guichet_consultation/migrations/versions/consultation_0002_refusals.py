"""The access log records refused attempts of every service (Art. 29, GDPR Art. 15 §1 c):
where (the route template) and why (a reason category), for entries that have them.

Revision ID: consultation_0002
Revises: consultation_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "consultation_0002"
down_revision = "consultation_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("access_log") as table:
        table.add_column(sa.Column("route", sa.String(220), nullable=True))
        table.add_column(sa.Column("reason", sa.String(40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("access_log") as table:
        table.drop_column("reason")
        table.drop_column("route")
