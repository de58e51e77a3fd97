"""The e-box stand-in: messages for applicants, in a database of its own.

In production the platform delivers to the federal e-Box; this store plays its part on
one machine and in tests. It is not a service's schema: it is migrated alone
(``include_core=False``).

Revision ID: ebox_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "ebox_0001"
down_revision = None
branch_labels = ("ebox",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ebox_messages",
        sa.Column("message_id", sa.String(64), primary_key=True),
        sa.Column("recipient", sa.String(64), nullable=False),
        sa.Column("dossier_id", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(500), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_ebox_messages_recipient", "ebox_messages", ["recipient", "delivered_at"])


def downgrade() -> None:
    op.drop_index("ix_ebox_messages_recipient", table_name="ebox_messages")
    op.drop_table("ebox_messages")
