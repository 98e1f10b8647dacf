"""the inbox's order as indexes: newest activity first, overall and per queue

A conversation's ``last_message_at`` is never null from now on (it starts as its opening
time), so ``ORDER BY last_message_at DESC, id DESC`` walks an index backwards on both
databases instead of sorting every conversation for each page.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "UPDATE conversations SET last_message_at = created_at WHERE last_message_at IS NULL"
    )
    op.create_index("ix_conversations_recent", "conversations", ["last_message_at", "id"])
    op.create_index(
        "ix_conversations_queue_recent", "conversations", ["queue_id", "last_message_at", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_conversations_queue_recent", table_name="conversations")
    op.drop_index("ix_conversations_recent", table_name="conversations")
