"""canned responses: quick replies, shared (for every queue or one) or an agent's own

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "canned_responses",
        sa.Column("id", Id, primary_key=True),
        sa.Column("shortcut", sa.String(32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("queue_id", Id, nullable=True),
        sa.Column("owner_id", Id, nullable=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["queue_id"], ["queues.id"], name="fk_canned_responses_queue_id_queues"
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name="fk_canned_responses_owner_id_users"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_canned_responses"),
    )
    shared, personal = sa.text("owner_id IS NULL"), sa.text("owner_id IS NOT NULL")
    op.create_index(
        "uq_canned_shared", "canned_responses", ["shortcut"], unique=True,
        sqlite_where=shared, postgresql_where=shared,
    )  # fmt: skip
    op.create_index(
        "uq_canned_personal", "canned_responses", ["owner_id", "shortcut"], unique=True,
        sqlite_where=personal, postgresql_where=personal,
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index("uq_canned_personal", table_name="canned_responses")
    op.drop_index("uq_canned_shared", table_name="canned_responses")
    op.drop_table("canned_responses")
