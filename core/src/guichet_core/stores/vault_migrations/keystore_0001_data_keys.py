"""Key store: one wrapped data key per dossier; a shredded key keeps its row, without key.

Revision ID: keystore_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "keystore_0001"
down_revision = None
branch_labels = ("keystore",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "data_keys",
        sa.Column("dossier_id", sa.Text, primary_key=True),
        # NULL once shredded: the row stays so that "shredded" differs from "never existed".
        sa.Column("wrapped_key", sa.LargeBinary, nullable=True),
        sa.Column("master_key_id", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("shredded_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("data_keys")
