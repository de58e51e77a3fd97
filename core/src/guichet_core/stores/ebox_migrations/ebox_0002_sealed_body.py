"""E-box messages sealed with their dossier's key until the applicant reads them.

The stand-in keeps what the federal e-Box would: a message may hold a negative
decision's reasons (Art. 24), so its body is sealed like every other personal value and
unreadable once the dossier's key is destroyed (Art. 27). ``body`` stays for messages
delivered before this revision and is empty once ``sealed_body`` holds the text.

Revision ID: ebox_0002
Revises: ebox_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "ebox_0002"
down_revision = "ebox_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("ebox_messages", sa.Column("sealed_body", sa.JSON, nullable=True))


def downgrade() -> None:
    op.drop_column("ebox_messages", "sealed_body")
