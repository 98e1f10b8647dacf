"""Reports over a year: the summary, the live view and the conversations CSV, timed in this
process.

    .venv/bin/python scripts/bench_reports.py                     # SQLite, temporary file
    .venv/bin/python scripts/bench_reports.py --db postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    .venv/bin/python scripts/bench_reports.py --conversations 20000 --runs 5   # a quick check

Seeds (bulk Core inserts, after the migrations) 200 agents in five queues (one number each),
and over the last 365 days ``--conversations`` conversations (default 200,000), each with
the reporting rows the actions write: opened, assigned, a first reply, two more replies
(five messages a conversation: 1,000,000 in all), closed, and a CSAT answer for one in five.
The messages themselves are not seeded: reports never read them. Then builds the daily
rollup of every complete day (as the timers worker does; timed; not with
``--without-rollup``, to time the reporting rows' path), and times
``summary`` (``GET /api/v1/reports/summary``) for the year grouped by agent and by day, and
the conversations CSV of the year through the endpoint's own generator (rows/s, and the
peak of Python memory allocated while it runs: flat means independent of the rows).
Prints p50/p95 against the target (summary p95 < 200 ms; MISSED when not) and writes
bench/results/bench-reports-<db>-<time>.json. With --db a database ``cdmx_reports_bench``
is created beside the named one and dropped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "scripts"), str(ROOT)]

from bench_lib import processes as p  # noqa: E402
from bench_lib.machine import machine_info  # noqa: E402
from bench_lib.stats import percentiles, rss_mb  # noqa: E402
from sqlalchemy import create_engine, func, select, text  # noqa: E402

from cdmx.actions.report_days import days_to_build, do_build_report_day  # noqa: E402
from cdmx.db.engine import Database  # noqa: E402
from cdmx.db.migrate import upgrade  # noqa: E402
from cdmx.db.tables import (  # noqa: E402
    CHANNELS,
    CONTACTS,
    CONVERSATIONS,
    QUEUE_MEMBERS,
    QUEUES,
    REPORT_EVENTS,
    USERS,
)
from cdmx.queries.exports import CONVERSATION_FIELDS, conversation_rows  # noqa: E402
from cdmx.queries.live import live_view  # noqa: E402
from cdmx.queries.queues import ZONE_KEY  # noqa: E402
from cdmx.queries.reports import Period, summary  # noqa: E402
from cdmx.web.api.reports import _csv  # noqa: E402

DB_NAME = "cdmx_reports_bench"
RESULTS = ROOT / "bench" / "results"
SEED = 20261204
ZONE = ZoneInfo("America/Mexico_City")
TARGET_SUMMARY_P95_MS = 200.0
TARGET_LIVE_P95_MS = 50.0
LIVE_RUNS = 50
AGENTS, QUEUE_COUNT = 200, 5
CHUNK = 20_000


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="a PostgreSQL URL (default: SQLite in a temporary file)")
    parser.add_argument("--conversations", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=5, help="runs per summary case")
    parser.add_argument("--only", default="summary,live,csv", help="cases: summary, live, csv")
    parser.add_argument(
        "--without-rollup", action="store_true",
        help="do not build the daily rollup: time the reporting rows' path",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.db and args.db.startswith("postgresql://"):
        args.db = "postgresql+psycopg://" + args.db.removeprefix("postgresql://")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    return p.run_cleanly("bench-reports", lambda cleanup: _run(args, cleanup))


def _run(args: argparse.Namespace, cleanup: p.Cleanup) -> int:
    info = machine_info(ROOT, p.pg_version(args.db) if args.db else None)
    kind = "postgresql" if args.db else "sqlite"
    database = f"PostgreSQL {info['postgresql']}" if args.db else f"SQLite {info['sqlite']}"
    print(f"bench-reports: {info['cpu']}, {info['cores']} cores; {database}", flush=True)
    if args.db:
        url = p.create_pg_database(args.db, DB_NAME)
        cleanup.pg_databases.append((args.db, DB_NAME))
    else:
        url = f"sqlite:///{cleanup.tmp / 'reports.db'}"
    clock = time.perf_counter()
    rows = seed(url, args.conversations)
    print(f"bench-reports: seeded {args.conversations:,} conversations, {rows:,} reporting rows "
          f"in {time.perf_counter() - clock:.1f} s", flush=True)  # fmt: skip
    db = Database(url, session_info={ZONE_KEY: ZONE})
    clock = time.perf_counter()
    days = 0 if args.without_rollup else build_rollup(db)
    built_in = time.perf_counter() - clock
    print(f"bench-reports: built the rollup of {days} days in {built_in:.1f} s "
          f"({rollup_rows(db)})", flush=True)  # fmt: skip
    today = datetime.now(ZONE).date()
    year = Period(today - timedelta(days=364), today, ZONE)
    results: dict[str, Any] = {"rollup": {"days": days, "seconds": round(built_in, 1)}}
    missed = False
    for group_by in ("agent", "day", "queue") if "summary" in args.only else ():
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            with db.read() as session:
                shown = summary(session, year, group_by, None)
            times.append(time.perf_counter() - start)
        stats = percentiles(times)
        verdict = "ok" if (stats["p95"] or 0) < TARGET_SUMMARY_P95_MS else "MISSED"
        missed = missed or verdict == "MISSED"
        print(f"  summary of a year by {group_by:5}: {len(shown)} rows, p50 {stats['p50']} ms, "
              f"p95 {stats['p95']} ms (target < {TARGET_SUMMARY_P95_MS:.0f}) {verdict}",
              flush=True)  # fmt: skip
        results[f"summary_{group_by}"] = {**stats, "rows": len(shown), "verdict": verdict}
    if (
        kind == "postgresql" and "summary" in args.only
    ):  # for comparison: the percentiles in SQL (the product does not)
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            with db.read() as session:
                shown = session.execute(_PG_PERCENTILES, {"start": year.start, "end": year.end})
                count = len(shown.all())
            times.append(time.perf_counter() - start)
        stats = percentiles(times)
        print(f"  (for comparison) percentile_cont by agent in SQL: {count} rows, p50 "
              f"{stats['p50']} ms, p95 {stats['p95']} ms", flush=True)  # fmt: skip
        results["pg_percentile_cont_agent"] = stats
    if "live" in args.only:
        opened = seed_open(url, args.conversations)
        for label, queues in (("admin, every queue", None), ("supervisor, one queue", {1})):
            times = []
            for _ in range(LIVE_RUNS):
                start = time.perf_counter()
                with db.read() as session:
                    live = live_view(session, queues and frozenset(queues), ZONE, datetime.now(UTC))
                times.append(time.perf_counter() - start)
            stats = percentiles(times)
            verdict = "ok" if (stats["p95"] or 0) < TARGET_LIVE_P95_MS else "MISSED"
            missed = missed or verdict == "MISSED"
            print(f"  live view, {label}: {opened:,} open conversations, "
                  f"{len(live['agents'])} agents, p50 {stats['p50']} ms, p95 {stats['p95']} ms "
                  f"(target < {TARGET_LIVE_P95_MS:.0f}) {verdict}", flush=True)  # fmt: skip
            results[f"live_{'all' if queues is None else 'queue'}"] = {
                **stats, "open": opened, "verdict": verdict,
            }  # fmt: skip
    if "csv" in args.only:
        results["csv"] = csv = _export(db, year)
        print(f"  conversations CSV of a year: {csv['rows']:,} rows in {csv['seconds']} s "
              f"({csv['rows_per_s']:,} rows/s), {csv['megabytes']:.1f} MB written; resident "
              f"memory before / after a tenth / at the end: "
              f"{' / '.join(f'{m:.0f}' for m in csv['rss_mb'])} MB", flush=True)  # fmt: skip
    db.dispose()
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"bench-reports-{kind}-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps({"machine": info, "conversations": args.conversations,
                               "reporting_rows": rows, **results}, indent=2))  # fmt: skip
    print(f"bench-reports: results in {out.relative_to(ROOT)}", flush=True)
    return 0  # a miss is printed (MISSED), not a failure to run


# The first-response figures by agent as PostgreSQL alone can compute them.
_PG_PERCENTILES = text(
    "SELECT agent_id, count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds),"
    " percentile_cont(0.9) WITHIN GROUP (ORDER BY seconds),"
    " percentile_cont(0.5) WITHIN GROUP (ORDER BY business_seconds)"
    " FROM report_events WHERE kind = 'first_reply' AND at >= :start AND at < :end"
    " GROUP BY agent_id"
)


def _export(db: Database, year: Period) -> dict[str, Any]:
    """The whole CSV through the endpoint's generator: rows/s, and this process's resident
    memory before, after a tenth of the rows and at the end (flat: the same)."""
    rss = [rss_mb(os.getpid()) or 0.0]
    start = time.perf_counter()
    written = count = 0
    tenth = max(1, year_rows(db, year) // 10)
    lines = _csv(db, CONVERSATION_FIELDS, lambda s: conversation_rows(s, year, None))
    for line in lines:
        written += len(line)
        count += 1
        if count == tenth:
            rss.append(rss_mb(os.getpid()) or 0.0)
    seconds = time.perf_counter() - start
    rss.append(rss_mb(os.getpid()) or 0.0)
    rows = count - 1
    return {
        "rows": rows, "seconds": round(seconds, 2), "rows_per_s": round(rows / seconds),
        "megabytes": written / 1e6, "rss_mb": rss,
    }  # fmt: skip


def build_rollup(db: Database) -> int:
    """Every complete day's rollup, a transaction a day; how many days."""
    now = datetime.now(UTC)
    with db.read() as session:
        days = days_to_build(session, ZONE, now)
    for day in days:
        with db.write() as session:
            do_build_report_day(session, day, ZONE, now)
    return len(days)


def rollup_rows(db: Database) -> str:
    with db.read() as session:
        counts = {
            name: session.scalar(text(f"SELECT count(*) FROM {name}"))  # noqa: S608
            for name in ("report_days", "report_day_waits", "report_day_agents")
        }
    return ", ".join(f"{name} {count:,}" for name, count in counts.items())


def year_rows(db: Database, year: Period) -> int:
    with db.read() as session:
        return int(session.scalar(
            select(func.count()).select_from(REPORT_EVENTS).where(
                REPORT_EVENTS.c.kind == "opened", REPORT_EVENTS.c.at >= year.start,
                REPORT_EVENTS.c.at < year.end,
            )
        ) or 0)  # fmt: skip


def seed(url: str, conversations: int) -> int:
    """Agents, queues, numbers, contacts, conversations and their reporting rows."""
    upgrade(url)
    engine = create_engine(url)
    rng = random.Random(SEED)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(QUEUES.delete())
        conn.execute(QUEUES.insert(), [
            {"id": q, "name": f"Cola {q}", "is_default": q == 1, "hours": None,
             "target_first_response_seconds": 300, "created_at": now}
            for q in range(1, QUEUE_COUNT + 1)
        ])  # fmt: skip
        conn.execute(CHANNELS.insert(), [
            {"id": q, "provider": "meta", "phone_number_id": f"bench{q}",
             "display_phone_number": f"52555000000{q}", "business_account_id": "",
             "health": "ok", "queue_id": q, "created_at": now}
            for q in range(1, QUEUE_COUNT + 1)
        ])  # fmt: skip
        conn.execute(USERS.insert(), [
            {"id": a, "email": f"agent{a}@bench.cdmx", "name": f"Agente {a}", "role": "agent",
             "password_hash": "x", "availability": "offline", "is_active": True,
             "created_at": now}
            for a in range(1, AGENTS + 1)
        ])  # fmt: skip
        conn.execute(
            QUEUE_MEMBERS.insert(),
            [{"queue_id": (a % QUEUE_COUNT) + 1, "user_id": a} for a in range(1, AGENTS + 1)],
        )
    total = 0
    for first in range(1, conversations + 1, CHUNK):
        ids = range(first, min(first + CHUNK, conversations + 1))
        contacts, rows, events = [], [], []
        for cid in ids:
            agent = rng.randint(1, AGENTS)
            queue = (agent % QUEUE_COUNT) + 1
            opened = now - timedelta(seconds=rng.uniform(0, 364 * 86400))
            wait = rng.expovariate(1 / 240)
            replied = opened + timedelta(seconds=wait)
            closed = replied + timedelta(seconds=rng.expovariate(1 / 3600))
            wa_id = f"52155{cid:08d}"
            contacts.append({
                "id": cid, "identity": f"wa:{wa_id}", "wa_id": wa_id, "name": f"Cliente {cid}",
                "created_at": opened, "updated_at": opened,
            })  # fmt: skip
            rows.append({
                "id": cid, "channel_id": queue, "contact_id": cid, "status": "closed",
                "assignee_id": agent, "queue_id": queue, "unread_count": 0,
                "last_message_at": closed, "created_at": opened, "assigned_at": opened,
                "first_reply_at": replied, "closed_at": closed, "messages_in": 3,
                "messages_out": 2, "labels": None,
            })  # fmt: skip
            base = {"conversation_id": cid, "channel_id": queue, "queue_id": queue,
                    "contact_id": cid, "value": None}  # fmt: skip
            events.append({**base, "kind": "opened", "agent_id": None, "at": opened,
                           "seconds": None, "business_seconds": None})  # fmt: skip
            events.append({**base, "kind": "assigned", "agent_id": agent, "at": opened,
                           "seconds": None, "business_seconds": None})  # fmt: skip
            for kind in ("first_reply", "reply"):
                events.append({**base, "kind": kind, "agent_id": agent, "at": replied,
                               "seconds": wait, "business_seconds": wait})  # fmt: skip
            for n in (1, 2):
                later = rng.expovariate(1 / 120)
                events.append({**base, "kind": "reply", "agent_id": agent,
                               "at": replied + timedelta(seconds=n * 60),
                               "seconds": later, "business_seconds": later})  # fmt: skip
            span = (closed - opened).total_seconds()
            events.append({**base, "kind": "closed", "agent_id": agent, "at": closed,
                           "seconds": span, "business_seconds": span})  # fmt: skip
            if cid % 5 == 0:
                events.append({**base, "kind": "csat", "agent_id": agent, "at": closed,
                               "seconds": None, "business_seconds": None,
                               "value": rng.randint(1, 5)})  # fmt: skip
        with engine.begin() as conn:
            conn.execute(CONTACTS.insert(), contacts)
            conn.execute(CONVERSATIONS.insert(), rows)
            conn.execute(REPORT_EVENTS.insert(), events)
        total += len(events)
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    return total


def seed_open(url: str, after: int) -> int:
    """What is open now, for the live view: four conversations assigned to each agent (the
    customers of two of them waiting up to half an hour), 50 waiting in each queue, and the
    agents three in five available, one away, one offline. Their contacts are new ones
    (ids after ``after``): one open conversation per customer and number."""
    engine = create_engine(url)
    rng = random.Random(SEED + 1)
    now = datetime.now(UTC)
    contacts, rows = [], []

    def conversation(queue: int, agent: int | None, waiting: bool) -> None:
        cid = after + len(rows) + 1
        since = now - timedelta(seconds=rng.uniform(0, 1800))
        wa_id = f"52156{cid:08d}"
        contacts.append(
            {
                "id": cid,
                "identity": f"wa:{wa_id}",
                "wa_id": wa_id,
                "name": f"Cliente {cid}",
                "created_at": since,
                "updated_at": since,
            }
        )
        rows.append({
            "id": cid, "channel_id": queue, "contact_id": cid,
            "status": "queued" if agent is None else "assigned", "assignee_id": agent,
            "queue_id": queue, "unread_count": 1, "last_message_at": since,
            "last_inbound_at": since, "created_at": since, "assigned_at": agent and since,
            "awaiting_since": since if waiting else None, "messages_in": 1, "messages_out": 0,
            "labels": None,
        })  # fmt: skip

    for agent in range(1, AGENTS + 1):
        for n in range(4):
            conversation((agent % QUEUE_COUNT) + 1, agent, waiting=n < 2)
    for queue in range(1, QUEUE_COUNT + 1):
        for _ in range(50):
            conversation(queue, None, waiting=True)
    with engine.begin() as conn:
        conn.execute(CONTACTS.insert(), contacts)
        conn.execute(CONVERSATIONS.insert(), rows)
        for agent in range(1, AGENTS + 1):
            availability = ("available", "available", "available", "away", "offline")[agent % 5]
            conn.execute(
                USERS.update().where(USERS.c.id == agent).values(availability=availability)
            )
        conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    return len(rows)


if __name__ == "__main__":
    sys.exit(main())
