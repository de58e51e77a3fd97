"""Notification outbox: what a service owes the applicant, until both channels delivered.

Art. 20 §5: every step that concerns the applicant is notified to the applicant's e-box
and by e-mail. Art. 24: the deciding service writes and delivers these itself, from its
own schema, so a notification never travels through a shared topic.

Revision ID: core_0002
Revises: core_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "core_0002"
down_revision = "core_0001"
branch_labels = None
depends_on = None

UNDELIVERED = "ebox_delivered_at IS NULL OR (email IS NOT NULL AND email_delivered_at IS NULL)"


def upgrade() -> None:
    op.create_table(
        "notification_outbox",
        # Deterministic (uuid5 of cause, purpose and recipient): queuing twice is a no-op.
        sa.Column("notification_id", sa.String(64), primary_key=True),
        sa.Column("dossier_id", sa.String(64), nullable=False),
        sa.Column("recipient", sa.String(64), nullable=False),  # NISS or enterprise number
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("subject", sa.String(500), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ebox_delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("email_delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_notification_outbox_undelivered",
        "notification_outbox",
        ["next_attempt_at"],
        postgresql_where=sa.text(UNDELIVERED),
        sqlite_where=sa.text(UNDELIVERED),
    )


def downgrade() -> None:
    op.drop_index("ix_notification_outbox_undelivered", table_name="notification_outbox")
    op.drop_table("notification_outbox")
