"""the agent's workspace: labels, the customer's profile, merges, mentions, saved views

- ``labels`` and ``conversation_labels``; ``conversations.labels`` keeps a copy of a
  conversation's labels for its JSON.
- ``contacts`` gains the profile the team keeps (``display_name``, ``email``, ``notes``,
  ``attributes``) and ``merged_into_id``; ``contact_fields`` are the admin-defined keys.
- ``mentions``: colleagues named in a note.
- ``saved_views``: each user's saved inbox filters.
- ``canned_responses.attachment``: a file a quick reply sends with its text.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "labels",
        sa.Column("id", Id, primary_key=True),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("color", sa.String(7), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_labels"),
        sa.UniqueConstraint("name", name="uq_labels_name"),
    )
    op.create_table(
        "conversation_labels",
        sa.Column("conversation_id", Id, nullable=False),
        sa.Column("label_id", Id, nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"], ["conversations.id"],
            name="fk_conversation_labels_conversation_id_conversations",
        ),
        sa.ForeignKeyConstraint(
            ["label_id"], ["labels.id"], name="fk_conversation_labels_label_id_labels"
        ),
        sa.PrimaryKeyConstraint("conversation_id", "label_id", name="pk_conversation_labels"),
    )  # fmt: skip
    op.create_index(
        "ix_conversation_labels_label_id", "conversation_labels", ["label_id"], unique=False
    )
    op.create_table(
        "contact_fields",
        sa.Column("id", Id, primary_key=True),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_contact_fields"),
        sa.UniqueConstraint("key", name="uq_contact_fields_key"),
    )
    op.create_table(
        "mentions",
        sa.Column("id", Id, primary_key=True),
        sa.Column("conversation_id", Id, nullable=False),
        sa.Column("message_id", Id, nullable=False),
        sa.Column("user_id", Id, nullable=False),
        sa.Column("author_id", Id, nullable=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"], ["conversations.id"],
            name="fk_mentions_conversation_id_conversations",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name="fk_mentions_message_id_messages"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_mentions_user_id_users"),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name="fk_mentions_author_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_mentions"),
    )  # fmt: skip
    op.create_index(
        "ix_mentions_user_conversation", "mentions", ["user_id", "conversation_id"], unique=False
    )
    op.create_table(
        "saved_views",
        sa.Column("id", Id, primary_key=True),
        sa.Column("user_id", Id, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_saved_views_user_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_saved_views"),
        sa.UniqueConstraint("user_id", "name", name="uq_saved_views_user_name"),
    )
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(sa.Column("display_name", sa.String(200), nullable=True))
        batch.add_column(sa.Column("email", sa.String(254), nullable=True))
        batch.add_column(sa.Column("notes", sa.Text(), nullable=True))
        batch.add_column(sa.Column("attributes", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("merged_into_id", Id, nullable=True))
        batch.create_foreign_key(
            "fk_contacts_merged_into_id_contacts", "contacts", ["merged_into_id"], ["id"]
        )
        batch.create_index("ix_contacts_merged_into_id", ["merged_into_id"], unique=False)
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("labels", sa.JSON(), nullable=True))
        batch.create_index("ix_conversations_contact", ["contact_id", "created_at"], unique=False)
    with op.batch_alter_table("canned_responses") as batch:
        batch.add_column(sa.Column("attachment", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("canned_responses") as batch:
        batch.drop_column("attachment")
    with op.batch_alter_table("conversations") as batch:
        batch.drop_index("ix_conversations_contact")
        batch.drop_column("labels")
    with op.batch_alter_table("contacts") as batch:
        batch.drop_index("ix_contacts_merged_into_id")
        batch.drop_constraint("fk_contacts_merged_into_id_contacts", type_="foreignkey")
        batch.drop_column("merged_into_id")
        batch.drop_column("attributes")
        batch.drop_column("notes")
        batch.drop_column("email")
        batch.drop_column("display_name")
    op.drop_table("saved_views")
    op.drop_index("ix_mentions_user_conversation", table_name="mentions")
    op.drop_table("mentions")
    op.drop_table("contact_fields")
    op.drop_index("ix_conversation_labels_label_id", table_name="conversation_labels")
    op.drop_table("conversation_labels")
    op.drop_table("labels")
