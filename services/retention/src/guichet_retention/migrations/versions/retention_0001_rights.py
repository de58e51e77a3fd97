"""Retention's first table: data-subject requests (cooperation agreement Art. 28-29).

Revision ID: retention_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "retention_0001"
down_revision = None
branch_labels = ("retention",)
depends_on = "core_0001"


def upgrade() -> None:
    op.create_table(
        "rights_requests",
        sa.Column("request_id", sa.String(64), primary_key=True),
        sa.Column("dossier_id", sa.String(64), nullable=False),
        sa.Column("subject_index", sa.String(64), nullable=False),  # blind index, never the NISS
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("concern", sa.String(20), nullable=False),
        sa.Column("controller", sa.String(10), nullable=False),
        sa.Column("details", sa.Text, nullable=False),  # the person's own words, as given
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(20), nullable=True),
        sa.Column("answer", sa.Text, nullable=True),  # the controller's answer, as given
        sa.CheckConstraint(
            "kind in ('access', 'rectification', 'erasure', 'restriction', 'objection')",
            name="ck_rights_requests_kind",
        ),
        sa.CheckConstraint(
            "concern in ('work', 'professional_card', 'residence')",
            name="ck_rights_requests_concern",
        ),
        sa.CheckConstraint(
            "controller in ('VLG', 'WAL', 'BXL', 'DG', 'OE')", name="ck_rights_requests_controller"
        ),
        sa.CheckConstraint(
            "(status = 'received' and answered_at is null and outcome is null and answer is null)"
            " or (status = 'answered' and answered_at is not null and answer is not null"
            " and outcome in ('granted', 'partially_granted', 'refused'))",
            name="ck_rights_requests_answer",
        ),
    )
    op.create_index(
        "ix_rights_requests_queue", "rights_requests", ["controller", "status", "due_on"]
    )
    op.create_index("ix_rights_requests_subject", "rights_requests", ["subject_index"])
    op.create_index("ix_rights_requests_dossier", "rights_requests", ["dossier_id"])


def downgrade() -> None:
    op.drop_table("rights_requests")
