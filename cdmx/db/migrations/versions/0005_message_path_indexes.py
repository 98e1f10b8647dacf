"""indexes for the message path: routing's "longest since last assigned", the inbox claim

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Routing reads max(assigned_at) per available agent for every new conversation; without
    # this index that is a scan of each agent's whole history.
    op.create_index(
        "ix_conversations_assignee_assigned", "conversations", ["assignee_id", "assigned_at"]
    )
    # The processor claims the oldest unprocessed updates; a partial index keeps that an
    # index scan in id order instead of a sort of every pending row with its body.
    unprocessed = sa.text("processed_at IS NULL")
    op.create_index(
        "ix_inbox_unprocessed", "inbox", ["id"],
        sqlite_where=unprocessed, postgresql_where=unprocessed,
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_inbox_unprocessed", table_name="inbox")
    op.drop_index("ix_conversations_assignee_assigned", table_name="conversations")
