"""reports: the reporting events, a queue's first-response target, conversation counters

- ``report_events``: one narrow row per thing reports count (docs/reports.md), written with
  the action; indexed by time (and kind) and by conversation.
- ``queues.target_first_response_seconds`` (default 300).
- ``conversations.awaiting_since``, ``first_reply_at``, ``messages_in``, ``messages_out``:
  what the message path needs to write those rows without reading messages
  (``cdmx reports rebuild`` fills them for existing conversations).

Revision ID: 0017_reports
Revises: 0016_credentials
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_reports"
down_revision: str | None = "0016_credentials"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "report_events",
        sa.Column("id", Id, primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("conversation_id", sa.BigInteger(), nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.Column("queue_id", sa.BigInteger(), nullable=True),
        sa.Column("agent_id", sa.BigInteger(), nullable=True),
        sa.Column("contact_id", sa.BigInteger(), nullable=False),
        sa.Column("at", UTC_TIME, nullable=False),
        sa.Column("seconds", sa.Float(), nullable=True),
        sa.Column("business_seconds", sa.Float(), nullable=True),
        sa.Column("value", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_report_events"),
    )
    op.create_index("ix_report_events_at", "report_events", ["at", "kind"], unique=False)
    op.create_index(
        "ix_report_events_conversation", "report_events", ["conversation_id", "id"], unique=False
    )
    with op.batch_alter_table("queues") as batch:
        batch.add_column(
            sa.Column(
                "target_first_response_seconds", sa.Integer(), nullable=False,
                server_default="300",
            )
        )  # fmt: skip
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("awaiting_since", UTC_TIME, nullable=True))
        batch.add_column(sa.Column("first_reply_at", UTC_TIME, nullable=True))
        batch.add_column(sa.Column("messages_in", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(
            sa.Column("messages_out", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("messages_out")
        batch.drop_column("messages_in")
        batch.drop_column("first_reply_at")
        batch.drop_column("awaiting_since")
    with op.batch_alter_table("queues") as batch:
        batch.drop_column("target_first_response_seconds")
    op.drop_index("ix_report_events_conversation", table_name="report_events")
    op.drop_index("ix_report_events_at", table_name="report_events")
    op.drop_table("report_events")
