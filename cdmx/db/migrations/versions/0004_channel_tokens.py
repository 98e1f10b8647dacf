"""channels: an encrypted access token and a send rate per number

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("channels") as batch_op:
        batch_op.add_column(sa.Column("access_token_sealed", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("rate_per_second", sa.Double(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("channels") as batch_op:
        batch_op.drop_column("rate_per_second")
        batch_op.drop_column("access_token_sealed")
