"""conversation timers: when its agent first replied, when it was told the queue is closed

``replied_at`` is the first agent reply since the conversation was last assigned (empty
while its customer waits: re-route on silence looks for those). ``closed_notice_at`` is
when the queue's closed message was last sent in it (once per closed period).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("conversations", sa.Column("replied_at", UTC_TIME, nullable=True))
    op.add_column("conversations", sa.Column("closed_notice_at", UTC_TIME, nullable=True))
    # Conversations that existed before count as answered: nothing old is re-routed at once.
    op.execute("UPDATE conversations SET replied_at = assigned_at WHERE status = 'assigned'")


def downgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("closed_notice_at")
        batch.drop_column("replied_at")
