"""queues: teams with members, the numbers that feed them and hours; agents' capacity

Every install gets one default queue ("General") holding every number, every open
conversation and every user, so a team that needs no queues never sets one up.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    queues = op.create_table(
        "queues",
        sa.Column("id", Id, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("hours", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("greeting_message", sa.Text(), nullable=True),
        sa.Column("closed_message", sa.Text(), nullable=True),
        sa.Column("reroute_after_minutes", sa.Integer(), nullable=True),
        sa.Column("auto_close_after_hours", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_queues"),
        sa.UniqueConstraint("name", name="uq_queues_name"),
    )
    op.create_table(
        "queue_members",
        sa.Column("queue_id", Id, nullable=False),
        sa.Column("user_id", Id, nullable=False),
        sa.ForeignKeyConstraint(
            ["queue_id"], ["queues.id"], name="fk_queue_members_queue_id_queues"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_queue_members_user_id_users"),
        sa.PrimaryKeyConstraint("queue_id", "user_id", name="pk_queue_members"),
    )
    op.create_index("ix_queue_members_user_id", "queue_members", ["user_id"])
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("capacity", sa.Integer(), nullable=True))
    _add_queue_reference("channels")
    _add_queue_reference("conversations")
    op.add_column("conversations", sa.Column("snoozed_until", UTC_TIME, nullable=True))
    op.create_index(
        "ix_conversations_queue_status", "conversations", ["queue_id", "status", "created_at"]
    )

    # The default queue, holding what exists.
    now = datetime.now(UTC)
    if op.get_bind().dialect.name == "sqlite":
        now = now.replace(tzinfo=None)  # naive UTC text, as cdmx.db.tables.UTCDateTime keeps it
    op.bulk_insert(queues, [{"name": "General", "is_default": True, "created_at": now}])
    op.execute("UPDATE channels SET queue_id = (SELECT id FROM queues WHERE is_default)")
    op.execute(
        "UPDATE conversations SET queue_id = (SELECT id FROM queues WHERE is_default)"
        " WHERE status != 'closed'"
    )
    op.execute(
        "INSERT INTO queue_members (queue_id, user_id)"
        " SELECT (SELECT id FROM queues WHERE is_default), id FROM users"
    )


def _add_queue_reference(table: str) -> None:
    name = f"fk_{table}_queue_id_queues"
    if op.get_bind().dialect.name == "sqlite":
        # SQLite cannot add a constraint to a table, but a column may bring its own.
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN queue_id INTEGER"
            f" CONSTRAINT {name} REFERENCES queues (id)"
        )
        return
    op.add_column(table, sa.Column("queue_id", Id, nullable=True))
    op.create_foreign_key(name, table, "queues", ["queue_id"], ["id"])


def downgrade() -> None:
    op.drop_index("ix_conversations_queue_status", table_name="conversations")
    for table in ("conversations", "channels"):
        with op.batch_alter_table(table) as batch:
            if op.get_bind().dialect.name != "sqlite":
                batch.drop_constraint(f"fk_{table}_queue_id_queues", type_="foreignkey")
            batch.drop_column("queue_id")
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("snoozed_until")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("capacity")
    op.drop_index("ix_queue_members_user_id", table_name="queue_members")
    op.drop_table("queue_members")
    op.drop_table("queues")
