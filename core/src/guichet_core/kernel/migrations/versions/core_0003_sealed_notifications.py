"""Notification bodies sealed with the dossier's key (Art. 24, 27; GDPR Art. 32).

A negative decision's reasons wait in the outbox until both channels delivered: they
are sealed there like every other personal value, so destroying the dossier's key
erases them too. ``body`` stays for rows queued before this revision and is empty
once ``sealed_body`` holds the text.

Revision ID: core_0003
Revises: core_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "core_0003"
down_revision = "core_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("notification_outbox", sa.Column("sealed_body", sa.JSON, nullable=True))


def downgrade() -> None:
    op.drop_column("notification_outbox", "sealed_body")
