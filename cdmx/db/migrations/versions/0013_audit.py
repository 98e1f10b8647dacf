"""the audit trail: ``audit_log``, one row per action a person or their token took

Append-only for the application; the retention sweep deletes rows older than
``CDMX_AUDIT_RETENTION_DAYS`` (by ``created_at``, hence its index). Paged newest first by
``id``; the filters (actor, object, action) each have an index ending in ``id``.

Revision ID: 0013_audit
Revises: 0012
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_audit"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", Id, primary_key=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("actor_name", sa.String(254), nullable=False),
        sa.Column("via", sa.String(20), nullable=False),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("object_type", sa.String(30), nullable=True),
        sa.Column("object_id", sa.BigInteger(), nullable=True),
        sa.Column("address", sa.String(64), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_created_at", "audit_log", ["created_at"], unique=False)
    op.create_index("ix_audit_log_actor", "audit_log", ["actor_id", "id"], unique=False)
    op.create_index(
        "ix_audit_log_object", "audit_log", ["object_type", "object_id", "id"], unique=False
    )
    op.create_index("ix_audit_log_action", "audit_log", ["action", "id"], unique=False)


def downgrade() -> None:
    op.drop_table("audit_log")
