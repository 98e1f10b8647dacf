"""``cdmx reports rebuild``: fill the reporting table for data recorded before it existed
(or after a bug fix), then write the daily rollup of every complete day again from it,
with progress bars on stderr. Safe to run again, and while the server runs: each batch of
conversations, and each day, is one short transaction."""

from __future__ import annotations

import argparse
from typing import Any

from cdmx.backup.progress import BAR_WIDTH, Progress
from cdmx.settings import load_settings

BATCH = 500  # conversations per transaction: short enough not to hold SQLite's writer long


def register(subparsers: Any) -> None:
    """Add the ``reports`` command group to the ``cdmx`` parser."""
    reports = subparsers.add_parser("reports", help="the reporting table behind the reports")
    reports_sub = reports.add_subparsers(dest="reports_command", required=True)
    rebuild = reports_sub.add_parser(
        "rebuild",
        help="write the reporting rows of every conversation again from its messages",
        description="Delete and write again the reporting rows (and the conversations' "
        "report counters) of every conversation, from its messages, in batches; then the "
        "daily rollup of every complete day, from those rows. "
        "Idempotent; the server may keep running.",
    )
    rebuild.add_argument("--batch", type=int, default=BATCH, help=f"default {BATCH}")
    rebuild.set_defaults(func=_rebuild)


class _Counted(Progress):
    """The backup's progress bar, counting conversations (no megabytes)."""

    def line(self) -> str:
        share = self.items / self.total if self.total else 1.0
        filled = round(share * BAR_WIDTH)
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        return f"{self.label} [{bar}] {share:4.0%} {self.items}/{self.total}"


def _rebuild(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from cdmx.actions.report_days import complete_days, do_build_report_day
    from cdmx.actions.report_rebuild import (
        conversation_count,
        conversation_ids_after,
        do_rebuild_reports,
    )
    from cdmx.commands.migrate import apply_migrations
    from cdmx.db.engine import Database
    from cdmx.queries.queues import ZONE_KEY

    settings = load_settings()
    apply_migrations(settings)
    zone = ZoneInfo(settings.timezone)
    db = Database(settings.database_url, session_info={ZONE_KEY: zone})
    try:
        with db.read() as session:
            total = conversation_count(session)
        progress = _Counted("conversations", total)
        after, rows = 0, 0
        while True:
            with db.write() as session:
                ids = conversation_ids_after(session, after, max(1, args.batch))
                rows += do_rebuild_reports(session, ids)
            if not ids:
                break
            after = ids[-1]
            progress.advance(len(ids))
        progress.finish()
        # Every day again, not only the unbuilt: the rows under a built day have changed.
        now = datetime.now(UTC)
        with db.read() as session:
            days = complete_days(session, zone, now)
        progress_days = _Counted("days", len(days))
        for day in days:
            with db.write() as session:
                do_build_report_day(session, day, zone, now, again=True)
            progress_days.advance(1)
        progress_days.finish()
        print(
            f"reports rebuilt: {progress.items} conversations, {rows} reporting rows, "
            f"{len(days)} days of the rollup"
        )
    finally:
        db.dispose()
    return 0
