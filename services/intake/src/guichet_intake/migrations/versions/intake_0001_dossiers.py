"""Intake's own tables: encrypted documents, who may follow a dossier, its status.

Revision ID: intake_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "intake_0001"
down_revision = None
branch_labels = ("intake",)
depends_on = "core_0001"


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("document_id", sa.String(64), primary_key=True),
        sa.Column("dossier_id", sa.String(64), nullable=False, index=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("media_type", sa.String(40), nullable=False),
        sa.Column("size_bytes", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("sealed", sa.JSON, nullable=False),  # filename and content, sealed
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "applicant_access",
        sa.Column("dossier_id", sa.String(64), primary_key=True),
        sa.Column("subject", sa.String(200), primary_key=True),
    )
    op.create_index("ix_applicant_access_subject", "applicant_access", ["subject"])
    op.create_table(
        "dossier_status",
        sa.Column("dossier_id", sa.String(64), primary_key=True),
        sa.Column("view", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("dossier_status")
    op.drop_table("applicant_access")
    op.drop_table("documents")
