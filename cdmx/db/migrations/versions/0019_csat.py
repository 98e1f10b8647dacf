"""csat: the satisfaction survey a queue sends when a conversation closes

- ``queues.csat_enabled`` (default off), ``csat_template_name`` and ``csat_template_language``
  (the template for a customer whose 24-hour window has shut; none: nothing is sent then).
- ``conversations.csat_sent_at`` (the survey went: never twice), ``csat_score`` (1–5) and
  ``csat_answered_at`` (the customer's first answer, the one that counts).

Revision ID: 0019_csat
Revises: 0018_report_days
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_csat"
down_revision: str | None = "0018_report_days"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("queues") as batch:
        batch.add_column(
            sa.Column("csat_enabled", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("csat_template_name", sa.String(512), nullable=True))
        batch.add_column(sa.Column("csat_template_language", sa.String(20), nullable=True))
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("csat_sent_at", UTC_TIME, nullable=True))
        batch.add_column(sa.Column("csat_score", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("csat_answered_at", UTC_TIME, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("csat_answered_at")
        batch.drop_column("csat_score")
        batch.drop_column("csat_sent_at")
    with op.batch_alter_table("queues") as batch:
        batch.drop_column("csat_template_language")
        batch.drop_column("csat_template_name")
        batch.drop_column("csat_enabled")
