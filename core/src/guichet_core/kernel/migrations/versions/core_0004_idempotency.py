"""Idempotency keys: a client's retry of a POST gets the first answer, not a second effect.

One row per caller, route and ``Idempotency-Key`` (hashed together: no caller id in
clear), holding the hash of the first body, a lease while the first request runs, and
once it is answered its status and its body sealed with the dossier's key. Rows expire
(24 h by default).

Revision ID: core_0004
Revises: core_0003
"""

import sqlalchemy as sa
from alembic import op

revision = "core_0004"
down_revision = "core_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("scope", sa.String(64), primary_key=True),  # sha256(caller, route, key)
        sa.Column("request_hash", sa.String(64), nullable=False),  # sha256 of the body
        sa.Column("state", sa.String(16), nullable=False),  # in_flight | committed | done
        sa.Column("lease_id", sa.String(32), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_code", sa.Integer, nullable=True),
        sa.Column("content_type", sa.String(100), nullable=True),
        sa.Column("dossier_id", sa.String(64), nullable=True),  # the key that seals the body
        sa.Column("sealed_response", sa.JSON, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_idempotency_keys_expires_at", "idempotency_keys", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_idempotency_keys_expires_at", table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
