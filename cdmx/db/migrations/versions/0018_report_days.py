"""report days: the daily rollup the reports summary reads for complete past days

- ``report_days``: per local day × queue × agent × number, the summary's counts.
- ``report_day_waits``: the day's waits as fixed-bin histograms (long rows).
- ``report_day_agents``: the conversations each agent's rows name that day.
- ``report_built_days``: which days are written, and in which business time zone.

The timers worker builds them (docs/reports.md#the-daily-rollup); until it has, reports
read the reporting rows as before.

Revision ID: 0018_report_days
Revises: 0017_reports
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_report_days"
down_revision: str | None = "0017_reports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _key() -> list[sa.Column[int]]:
    return [
        sa.Column("queue_id", sa.BigInteger(), nullable=False),
        sa.Column("agent_id", sa.BigInteger(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "report_days",
        sa.Column("day", sa.Date(), nullable=False),
        *_key(),
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("opened", sa.Integer(), nullable=False),
        sa.Column("snoozes", sa.Integer(), nullable=False),
        sa.Column("csat_sum", sa.Integer(), nullable=False),
        sa.Column("csat_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "queue_id", "agent_id", "channel_id", name="pk_report_days"),
    )
    op.create_table(
        "report_day_waits",
        sa.Column("day", sa.Date(), nullable=False),
        *_key(),
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.Column("wait", sa.SmallInteger(), nullable=False),
        sa.Column("bin", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "day", "queue_id", "agent_id", "channel_id", "wait", "bin",
            name="pk_report_day_waits",
        ),
    )  # fmt: skip
    op.create_table(
        "report_day_agents",
        sa.Column("day", sa.Date(), nullable=False),
        *_key(),
        sa.Column("conversation_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "day", "queue_id", "agent_id", "conversation_id", name="pk_report_day_agents"
        ),
    )
    op.create_table(
        "report_built_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("zone", sa.String(64), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("day", name="pk_report_built_days"),
    )


def downgrade() -> None:
    op.drop_table("report_built_days")
    op.drop_table("report_day_agents")
    op.drop_table("report_day_waits")
    op.drop_table("report_days")
