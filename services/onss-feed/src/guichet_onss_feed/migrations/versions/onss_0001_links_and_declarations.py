"""The onss-feed's tables: dossier links by NISS blind index, processed declarations.

Revision ID: onss_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "onss_0001"
down_revision = None
branch_labels = ("onss_feed",)
depends_on = "core_0001"


def upgrade() -> None:
    op.create_table(
        "dossier_links",
        sa.Column("dossier_id", sa.String(64), primary_key=True),
        sa.Column("niss_index", sa.String(64), nullable=False),
        sa.Column("employer", sa.String(10), nullable=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_dossier_links_niss_index", "dossier_links", ["niss_index"])
    op.create_table(
        "processed_declarations",
        sa.Column("key_hash", sa.String(64), primary_key=True),
        sa.Column("dossier_id", sa.String(64), primary_key=True),
        sa.Column("source", sa.String(10), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("processed_declarations")
    op.drop_index("ix_dossier_links_niss_index", "dossier_links")
    op.drop_table("dossier_links")
