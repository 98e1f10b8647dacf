"""send-to actions: the business's systems an agent pushes a conversation to, and each push

- ``send_actions``: a name, an endpoint and its sealed signing secret.
- ``send_action_runs``: each push, what the system answered, and the note it left.

Revision ID: 0015_send_actions
Revises: 0014_webhooks
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_send_actions"
down_revision: str | None = "0014_webhooks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "send_actions",
        sa.Column("id", Id, primary_key=True),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("secret_sealed", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_send_actions"),
        sa.UniqueConstraint("name", name="uq_send_actions_name"),
    )
    op.create_table(
        "send_action_runs",
        sa.Column("id", Id, primary_key=True),
        sa.Column("action_id", Id, nullable=False),
        sa.Column("conversation_id", Id, nullable=False),
        sa.Column("user_id", Id, nullable=True),
        sa.Column("request_id", sa.String(40), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("response_excerpt", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("reference", sa.String(200), nullable=True),
        sa.Column("reference_url", sa.String(2000), nullable=True),
        sa.Column("note_id", Id, nullable=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["action_id"], ["send_actions.id"], name="fk_send_action_runs_action_id_send_actions"
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"], ["conversations.id"],
            name="fk_send_action_runs_conversation_id_conversations",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_send_action_runs_user_id_users"
        ),
        sa.ForeignKeyConstraint(
            ["note_id"], ["messages.id"], name="fk_send_action_runs_note_id_messages"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_send_action_runs"),
    )  # fmt: skip
    op.create_index(
        "ix_send_action_runs_action_id", "send_action_runs", ["action_id"], unique=False
    )
    op.create_index(
        "ix_send_action_runs_conversation_id", "send_action_runs", ["conversation_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_send_action_runs_conversation_id", table_name="send_action_runs")
    op.drop_index("ix_send_action_runs_action_id", table_name="send_action_runs")
    op.drop_table("send_action_runs")
    op.drop_table("send_actions")
