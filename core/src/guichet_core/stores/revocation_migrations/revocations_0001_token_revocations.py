"""Revoked tokens: one row per revoked ``jti``, or per subject revoked before a time.

Revision ID: revocations_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "revocations_0001"
down_revision = None
branch_labels = ("revocations",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "token_revocations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("jti", sa.Text, nullable=True),
        # A keyed hash of the subject (a NISS for an applicant), never the subject itself.
        sa.Column("subject_index", sa.Text, nullable=True),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=True),
        # After this no token it could refuse is still valid: the row may go.
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(jti IS NOT NULL) <> (subject_index IS NOT NULL)", name="ck_one_kind_of_revocation"
        ),
    )
    op.create_index("ix_token_revocations_expires_at", "token_revocations", ["expires_at"])


def downgrade() -> None:
    op.drop_table("token_revocations")
