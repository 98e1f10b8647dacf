"""presence: when each user last had a console event stream open

``last_seen_at`` is touched about every 30 seconds while one of the user's streams is open
(on any instance), and once when their last one on an instance closes; the presence worker
sets offline whoever is available or away and was not seen for
``CDMX_PRESENCE_TIMEOUT_SECONDS``. Users who are not offline now count as seen now, so an
upgrade gives their tabs the whole timeout to reconnect.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("last_seen_at", UTC_TIME, nullable=True))
    now = datetime.now(UTC)
    if op.get_bind().dialect.name == "sqlite":
        now = now.replace(tzinfo=None)  # naive UTC text, as cdmx.db.tables.UTCDateTime keeps it
    op.execute(
        sa.text("UPDATE users SET last_seen_at = :now WHERE availability != 'offline'").bindparams(
            now=now
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("last_seen_at")
