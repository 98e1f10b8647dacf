"""The inbox processor alone: N stored single-message webhooks from N new customers, each
opening and routing a conversation; times ``process_pending`` (wall and CPU) and counts the
SQL statements per message.

    .venv/bin/python scripts/bench_processor.py                   # SQLite, temporary file
    .venv/bin/python scripts/bench_processor.py --db postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    .venv/bin/python scripts/bench_processor.py --profile 25      # and cProfile's top 25
    .venv/bin/python scripts/bench_processor.py --statuses        # then delivered + read of
                                                                  # a reply to each, timed
    .venv/bin/python scripts/bench_processor.py --replies         # then an agent's reply to
                                                                  # each, one transaction each
    .venv/bin/python scripts/bench_processor.py --without-reports # the same with the reporting
                                                                  # rows dropped, not written

With ``--db`` a database ``cdmx_bench_processor`` is created beside the named one and
dropped at the end. Measures; asserts nothing (see docs/capacity.md).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, event, select, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cdmx.actions import events  # noqa: E402
from cdmx.actions.channels import do_ensure_channel  # noqa: E402
from cdmx.actions.inbox import do_store_update  # noqa: E402
from cdmx.actions.outbox import claim_sends, do_record_sent  # noqa: E402
from cdmx.actions.replies import do_send_text  # noqa: E402
from cdmx.actions.reporting import forget_reports  # noqa: E402
from cdmx.actions.users import do_create_user, do_set_availability  # noqa: E402
from cdmx.db.engine import Database  # noqa: E402
from cdmx.db.migrate import upgrade  # noqa: E402
from cdmx.db.tables import Conversation, User  # noqa: E402
from cdmx.simulator import SimulatorConfig  # noqa: E402
from cdmx.simulator.webhooks import encode, envelope  # noqa: E402
from cdmx.workers.inbox import InboxThreads, process_pending  # noqa: E402
from scripts.bench_lib.payloads import text_body  # noqa: E402

DB_NAME = "cdmx_bench_processor"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="a PostgreSQL URL (default: SQLite in a temporary file)")
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=0, help="side-by-side threads (PostgreSQL)")
    parser.add_argument("--profile", type=int, default=0, help="print cProfile's top N")
    parser.add_argument(
        "--statuses", action="store_true",
        help="time status webhooks (delivered, read) for a sent reply in each conversation",
    )  # fmt: skip
    parser.add_argument(
        "--replies", action="store_true",
        help="time an agent's reply in each conversation (one transaction each, as the API)",
    )  # fmt: skip
    parser.add_argument(
        "--without-reports", action="store_true",
        help="drop the reporting rows instead of writing them (what they cost, by difference)",
    )  # fmt: skip
    args = parser.parse_args()
    if args.without_reports:
        events.write_reports = forget_reports  # the rows are made, never inserted
    with tempfile.TemporaryDirectory() as tmp:
        url, drop = _database(args.db, Path(tmp))
        try:
            _run(url, args)
        finally:
            drop()


def _database(pg_url: str | None, tmp: Path) -> tuple[str, object]:
    if not pg_url:
        return f"sqlite:///{tmp / 'processor.db'}", lambda: None
    admin = create_engine(make_url(pg_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{DB_NAME}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
        admin.dispose()

    return make_url(pg_url).set(database=DB_NAME).render_as_string(hide_password=False), drop


def _run(url: str, args: argparse.Namespace) -> None:
    upgrade(url)
    config = SimulatorConfig(app_secret="bench", webhook_url="http://127.0.0.1:1/")
    db = Database(url)
    with db.write() as session:
        do_ensure_channel(
            session, phone_number_id=config.phone_number_id,
            display_phone_number=config.display_phone_number,
            business_account_id=config.waba_id,
        )  # fmt: skip
        for n in range(4):
            user = do_create_user(
                session, email=f"agent{n}@bench.cdmx", name=f"Agente {n}", role="agent",
                password="bench-password-123",
            )  # fmt: skip
            do_set_availability(session, user.id, "available")
    now = int(time.time())
    with db.write() as session:
        for index in range(args.messages):
            body, _ = text_body(config, "P", index, 1, args.messages, now=now)
            do_store_update(session, body)

    kind = "messages"
    if args.replies:
        _process(db, args, None)  # not timed: it opens the conversations
        _time_replies(db)
        db.dispose()
        return
    if args.statuses:
        _process(db, args, None)  # not timed: it opens the conversations
        _reply_to_each(db, config, now)
        kind = "statuses"
    _process(db, args, kind)
    db.dispose()


def _reply_to_each(db: Database, config: SimulatorConfig, now: int) -> None:
    with db.write() as session:
        conversations = session.execute(select(Conversation.id, Conversation.assignee_id)).all()
        users = {u.id: u for u in session.scalars(select(User))}
        for conversation_id, assignee_id in conversations:
            do_send_text(session, users[assignee_id], conversation_id, "Con gusto", None)
    with db.write() as session:
        jobs = claim_sends(session, datetime.now(UTC), len(conversations))
        for job in jobs:
            do_record_sent(session, job, f"wamid.OUT{job.message_id}")
    with db.write() as session:
        for job in jobs:
            for status in ("delivered", "read"):
                value = {"statuses": [{
                    "id": f"wamid.OUT{job.message_id}", "status": status, "timestamp": str(now),
                    "recipient_id": job.body["to"].lstrip("+"),
                }]}  # fmt: skip
                do_store_update(session, encode(envelope(config, value)))


def _time_replies(db: Database) -> None:
    with db.read() as session:
        conversations = session.execute(select(Conversation.id, Conversation.assignee_id)).all()
        users = {u.id: u for u in session.scalars(select(User))}
        session.expunge_all()
    statements = 0

    @event.listens_for(db.engine, "before_cursor_execute")
    def _count(*_: object) -> None:
        nonlocal statements
        statements += 1

    anyone = next(iter(users.values()))  # a queued conversation becomes its answerer's
    wall, cpu = time.perf_counter(), time.process_time()
    for conversation_id, assignee_id in conversations:
        with db.write() as session:
            agent = users.get(assignee_id, anyone)
            do_send_text(session, agent, conversation_id, "Con gusto", None)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    event.remove(db.engine, "before_cursor_execute", _count)
    count = len(conversations)
    print(
        f"{db.engine.dialect.name}: {count} replies in {wall:.2f} s = {count / wall:.0f}/s; "
        f"CPU {cpu / count * 1000:.2f} ms each; {statements / count:.1f} statements each"
    )


def _process(db: Database, args: argparse.Namespace, kind: str | None) -> None:
    statements = 0

    @event.listens_for(db.engine, "before_cursor_execute")
    def _count(*_: object) -> None:
        nonlocal statements
        statements += 1

    pool = InboxThreads(args.threads) if args.threads > 1 else None
    profiler = cProfile.Profile(time.process_time) if args.profile and kind else None
    wall, cpu = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    handled = 0
    while done := process_pending(db, pool=pool):
        handled += done
    if profiler:
        profiler.disable()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    event.remove(db.engine, "before_cursor_execute", _count)
    if kind is None or not handled:
        return
    print(
        f"{db.engine.dialect.name}: {handled} {kind} in {wall:.2f} s = {handled / wall:.0f}/s; "
        f"CPU {cpu / handled * 1000:.2f} ms each; {statements / handled:.1f} statements each"
    )
    if profiler:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(args.profile)


if __name__ == "__main__":
    main()
