"""credentials: revocable console sessions, API tokens and integration tokens

- ``credentials``: one row per session, bearer token or integration token, keyed by the
  SHA-256 of its secret (unique), with its user, expiry, last use and revocation; an index
  on (user_id, revoked_at) ends all of a user's at once (a password change, a deactivation).

Revision ID: 0016_credentials
Revises: 0015_send_actions
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_credentials"
down_revision: str | None = "0015_send_actions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "credentials",
        sa.Column("id", Id, primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("user_id", Id, nullable=False),
        sa.Column("name", sa.String(100), nullable=True),
        sa.Column("prefix", sa.String(20), nullable=True),
        sa.Column("scopes", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("created_by_id", Id, nullable=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("expires_at", UTC_TIME, nullable=True),
        sa.Column("last_used_at", UTC_TIME, nullable=True),
        sa.Column("revoked_at", UTC_TIME, nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_credentials_user_id_users"),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name="fk_credentials_created_by_id_users"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_credentials"),
        sa.UniqueConstraint("token_hash", name="uq_credentials_token_hash"),
    )
    op.create_index("ix_credentials_user", "credentials", ["user_id", "revoked_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_credentials_user", table_name="credentials")
    op.drop_table("credentials")
