"""Routing and the inbox list at scale: the real code paths, timed in this process.

    .venv/bin/python scripts/bench_routing.py                      # SQLite, temporary file
    .venv/bin/python scripts/bench_routing.py --db postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    .venv/bin/python scripts/bench_routing.py --decisions 100 --lists 30   # a quick check
    .venv/bin/python scripts/bench_routing.py --db … --keep        # leave the database for psql

Seeds (bulk Core inserts, after the project's migrations) 500 available agents of capacity
200 in five queues of 100 (one number each; a supervisor watching every queue with capacity
0, an admin) and 100,000 conversations, one message each: 50,000 closed and 50,000 open.
"Ventas" is full (its 100 agents at 200 each, 5,000 conversations waiting); the other
four queues share 25,000 assigned. Then, each in its own write transaction as the inbox
processor and the API run them:

- a new customer's first message: ``upsert_contact`` + ``open_conversation`` +
  ``routing_changes`` + the UPDATE (the routing part of ``do_record_inbound_message``), the
  whole of ``do_record_inbound_message``, and the same into the full queue (it waits);
- an agent of the full queue freeing a place: ``do_close_conversation`` (which hands the
  oldest waiting one over), and a bare UPDATE + ``do_assign_waiting`` for that agent;

and ``list_conversations`` (``GET /api/v1/conversations``, first page of 200) for agents
(mine, queue, all), a supervisor and an admin (all, by queue, by status), each in its own
read session. Prints p50/p95/p99 against the targets (routing p99 < 10 ms, list p95 < 50
ms; a miss prints MISSED, with the EXPLAIN of the slowest statement of that case) and writes
bench/results/bench-routing-<db>-<time>.json. Exits 1 when a case could not run. With --db a
database ``cdmx_bench_routing`` is created beside the named one and dropped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "scripts"), str(ROOT)]

from bench_lib import processes as p  # noqa: E402
from bench_lib.machine import machine_info  # noqa: E402
from bench_lib.stats import percentiles  # noqa: E402
from bench_search import _cpu_by_process, _others  # noqa: E402
from sqlalchemy import Engine, create_engine, event, select, update  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from cdmx.actions.assignment import (  # noqa: E402
    do_assign_waiting,
    open_conversation,
    routing_changes,
    update_conversation,
)
from cdmx.actions.closing import do_close_conversation  # noqa: E402
from cdmx.actions.contacts import upsert_contact  # noqa: E402
from cdmx.actions.inbound import do_record_inbound_message  # noqa: E402
from cdmx.db.engine import Database  # noqa: E402
from cdmx.db.migrate import upgrade  # noqa: E402
from cdmx.db.tables import (  # noqa: E402
    CHANNELS,
    CONTACTS,
    CONVERSATIONS,
    MESSAGES,
    QUEUE_MEMBERS,
    QUEUES,
    USERS,
    Channel,
    User,
)
from cdmx.domain.passwords import hash_password  # noqa: E402
from cdmx.domain.routing import CAPACITY_KEY  # noqa: E402
from cdmx.domain.states import MessageType  # noqa: E402
from cdmx.queries.conversations import list_conversations  # noqa: E402
from cdmx.queries.queues import queue_of_channel  # noqa: E402
from cdmx.whatsapp.payload import InboundMessage, Sender  # noqa: E402

DB_NAME = "cdmx_bench_routing"
RESULTS = ROOT / "bench" / "results"
SEED = 20261203
TARGET_ROUTING_P99_MS = 10.0
TARGET_LIST_P95_MS = 50.0
QUEUE_NAMES = ("General", "Ventas", "Soporte", "Facturación", "Garantías")  # General: default
FULL = "Ventas"  # every agent at capacity, conversations waiting
AGENTS, CAPACITY = 500, 200
CONVERSATIONS_TOTAL, CLOSED = 100_000, 50_000
WAITING = 5_000  # in the full queue
CHUNK = 10_000


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="a PostgreSQL URL (default: SQLite in a temporary file)")
    parser.add_argument("--decisions", type=int, default=300, help="transactions per routing case")
    parser.add_argument("--lists", type=int, default=100, help="runs per inbox-list case")
    parser.add_argument("--keep", action="store_true", help="do not drop the database at the end")
    args = parser.parse_args(argv)
    if args.db and args.db.startswith("postgresql://"):
        args.db = "postgresql+psycopg://" + args.db.removeprefix("postgresql://")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    return p.run_cleanly("bench-routing", lambda cleanup: _run(args, cleanup))


def _run(args: argparse.Namespace, cleanup: p.Cleanup) -> int:
    info = machine_info(ROOT, p.pg_version(args.db) if args.db else None)
    kind = "postgresql" if args.db else "sqlite"
    database = f"PostgreSQL {info['postgresql']}" if args.db else f"SQLite {info['sqlite']}"
    print(f"bench-routing: {info['cpu']}, {info['cores']} cores, {info['ram_gb']} GB; {database}",
          flush=True)  # fmt: skip
    if args.db:
        url = p.create_pg_database(args.db, DB_NAME)
        if not args.keep:
            cleanup.pg_databases.append((args.db, DB_NAME))
    else:
        url = f"sqlite:///{cleanup.tmp / 'routing.db'}"

    clock = time.perf_counter()
    world = seed(url)
    print(f"bench-routing: seeded {AGENTS} agents, {CONVERSATIONS_TOTAL:,} conversations "
          f"({CONVERSATIONS_TOTAL - CLOSED:,} open) in {time.perf_counter() - clock:.1f} s",
          flush=True)  # fmt: skip

    db = Database(url, session_info={CAPACITY_KEY: 8})
    counter = _StatementCounter()
    results: list[Result] = []
    cpu_before = _cpu_by_process()
    try:
        with counter:
            for case in _routing_cases(db, world, args.decisions):
                results.append(_measure(case, counter, args.decisions, warm=10))
            for case in _list_cases(db, world):
                results.append(_measure(case, counter, args.lists, warm=5))
        for result in results:
            if result.error is None and result.missed:
                result.explain = _explain(db, result)
    finally:
        db.dispose()
    others = _others(cpu_before, {os.getpid()})
    if sum(others.values()) > 2:
        print(f"bench-routing: warning: other programs used CPU while this ran ({others}); "
              "the latencies are higher than this machine's", file=sys.stderr)  # fmt: skip

    print()
    print(render(results))
    for result in results:
        if result.explain:
            print(f"\n{result.name}: its slowest statement, {result.slowest_ms} ms:")
            print("  " + "\n  ".join(result.explain))
    report = {
        "database": kind, "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": info, "agents": AGENTS, "capacity": CAPACITY,
        "conversations": CONVERSATIONS_TOTAL, "open": CONVERSATIONS_TOTAL - CLOSED,
        "decisions": args.decisions, "lists": args.lists,
        "cpu_seconds_of_other_programs": others,
        "results": [r.json() for r in results],
    }  # fmt: skip
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"bench-routing-{kind}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(f"\nbench-routing: wrote {out.relative_to(ROOT)}")
    if args.keep and args.db:
        print(f"bench-routing: kept {url}")
    failed = [r.name for r in results if r.error is not None]
    if failed:
        print(f"bench-routing: could not run: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


# -- the seeded contact center ---------------------------------------------------------------


@dataclass
class World:
    """Who and what was seeded: ids the cases need."""

    queues: dict[str, int]  # name -> id
    channels: dict[str, Channel]  # queue name -> its number (detached)
    users: dict[str, User]  # "supervisor", "admin", "agent_full", "agent_room" (detached)
    agents: dict[int, User]  # every agent by id (detached)
    agents_by_queue: dict[str, list[int]]
    assigned: dict[int, list[int]]  # agent id -> their assigned conversation ids, oldest first


def seed(url: str) -> World:
    """Migrate, then load the users, queues, numbers, contacts, conversations and messages."""
    upgrade(url)
    rng = random.Random(SEED)
    now = datetime.now(UTC).replace(microsecond=0)
    engine = _load_engine(url)
    try:
        with engine.begin() as connection:
            queues = _queues_and_numbers(connection, now)
            agents_by_queue = _users(connection, queues, now)
            rows = _conversations(rng, now, queues, agents_by_queue)
            for tbl, source in (
                (CONTACTS, _contact_rows(rows)), (CONVERSATIONS, iter(rows)),
                (MESSAGES, _message_rows(rows)),
            ):  # fmt: skip
                for batch in _chunks(source):
                    connection.execute(tbl.insert(), batch)
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                for name in ("users", "contacts", "conversations", "messages"):
                    connection.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                        f"(SELECT max(id) FROM {name}))"
                    )
                connection.exec_driver_sql("VACUUM ANALYZE")  # as autovacuum would have
    finally:
        engine.dispose()

    assigned: dict[int, list[int]] = {}
    for row in rows:
        if row["status"] == "assigned":
            assigned.setdefault(row["assignee_id"], []).append(row["id"])
    db = Database(url)
    try:
        with db.read() as session:
            channels = {
                name: session.scalars(select(Channel).where(Channel.queue_id == q)).one()
                for name, q in queues.items()
            }
            users = {
                "supervisor": session.get(User, AGENTS + 1),
                "admin": session.get(User, AGENTS + 2),
                "agent_full": session.get(User, agents_by_queue[FULL][0]),
                "agent_room": session.get(User, agents_by_queue["Soporte"][0]),
            }
            agents = {u.id: u for u in session.scalars(select(User).where(User.role == "agent"))}
    finally:
        db.dispose()
    return World(queues, channels, users, agents, agents_by_queue, assigned)  # type: ignore[arg-type]


def _load_engine(url: str) -> Engine:
    engine = create_engine(url)
    if make_url(url).get_backend_name() == "sqlite":

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            # Loading a scratch file: no fsync. The bench itself runs with the project's own.
            dbapi_connection.execute("PRAGMA synchronous=OFF")

    return engine


def _queues_and_numbers(connection: Any, now: datetime) -> dict[str, int]:
    default = connection.scalar(select(QUEUES.c.id).where(QUEUES.c.is_default.is_(True)))
    connection.execute(update(QUEUES).where(QUEUES.c.id == default).values(name=QUEUE_NAMES[0]))
    connection.execute(QUEUES.insert(), [
        {"name": name, "is_default": False, "created_at": now} for name in QUEUE_NAMES[1:]
    ])  # fmt: skip
    queues = {name: id_ for name, id_ in connection.execute(select(QUEUES.c.name, QUEUES.c.id))}
    connection.execute(CHANNELS.insert(), [
        {"phone_number_id": f"10000000000000{i}", "display_phone_number": f"52555000000{i}",
         "business_account_id": p.WABA_ID, "queue_id": queues[name], "created_at": now}
        for i, name in enumerate(QUEUE_NAMES, 1)
    ])  # fmt: skip
    return queues


def _users(connection: Any, queues: dict[str, int], now: datetime) -> dict[str, list[int]]:
    """Agents 1..500, 100 a queue, available at capacity 200; a supervisor (501) watching
    every queue at capacity 0, available; an admin (502) in none."""
    password = hash_password("bench-password-1")  # once: argon2 takes ~50 ms a hash
    users, members = [], []
    by_queue: dict[str, list[int]] = {name: [] for name in QUEUE_NAMES}
    for k in range(1, AGENTS + 1):
        name = QUEUE_NAMES[(k - 1) % len(QUEUE_NAMES)]
        users.append({"id": k, "email": f"agente{k}@bench.cdmx", "name": f"Agente {k}",
                      "role": "agent", "capacity": CAPACITY})  # fmt: skip
        members.append({"queue_id": queues[name], "user_id": k})
        by_queue[name].append(k)
    users.append({"id": AGENTS + 1, "email": "super@bench.cdmx", "name": "Supervisora",
                  "role": "supervisor", "capacity": 0})  # fmt: skip
    users.append({"id": AGENTS + 2, "email": "admin@bench.cdmx", "name": "Admin",
                  "role": "admin", "capacity": None})  # fmt: skip
    members += [{"queue_id": q, "user_id": AGENTS + 1} for q in queues.values()]
    for user in users:
        user.update(password_hash=password, is_active=True, created_at=now,
                    availability="offline" if user["role"] == "admin" else "available")  # fmt: skip
    connection.execute(USERS.insert(), users)
    connection.execute(QUEUE_MEMBERS.insert(), members)
    return by_queue


def _conversations(
    rng: random.Random, now: datetime, queues: dict[str, int], agents: dict[str, list[int]]
) -> list[dict[str, Any]]:
    """50,000 closed over the last 90 days; 50,000 open over the last 3: the full queue's
    agents at capacity plus 5,000 waiting, the other queues' 25,000 assigned at random."""
    channel_of = {name: i for i, name in enumerate(QUEUE_NAMES, 1)}
    others = [name for name in QUEUE_NAMES if name != FULL]
    specs: list[tuple[str, str, int | None]] = []  # (queue, status, assignee)
    for agent in agents[FULL]:
        specs += [(FULL, "assigned", agent)] * CAPACITY
    specs += [(FULL, "queued", None)] * WAITING
    open_rest = CONVERSATIONS_TOTAL - CLOSED - len(specs)
    pool = [(name, a) for name in others for a in agents[name]]
    specs += [(name, "assigned", a) for name, a in rng.choices(pool, k=open_rest)]
    everyone = [(name, a) for name in QUEUE_NAMES for a in agents[name]]
    specs += [(name, "closed", a) for name, a in rng.choices(everyone, k=CLOSED)]
    day = 86_400.0
    timed = []
    for queue, status, assignee in specs:
        age = rng.uniform(3 * day, 90 * day) if status == "closed" else rng.uniform(0, 3 * day)
        created = now - timedelta(seconds=age)
        last = created + timedelta(seconds=min(age, rng.expovariate(1 / 1800)))
        timed.append((created, last, queue, status, assignee))
    timed.sort(key=lambda t: t[0])
    rows = []
    for i, (created, last, queue, status, assignee) in enumerate(timed, 1):
        rows.append({
            "id": i, "channel_id": channel_of[queue], "contact_id": i, "status": status,
            "assignee_id": assignee, "queue_id": queues[queue],
            "unread_count": 0 if status == "closed" else rng.randint(0, 3),
            "last_message_id": i, "last_message_at": last, "last_inbound_at": last,
            "created_at": created,
            "assigned_at": created + timedelta(seconds=20) if assignee else None,
            "closed_at": last + timedelta(minutes=10) if status == "closed" else None,
        })  # fmt: skip
    return rows


def _contact_rows(conversations: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for c in conversations:
        wa_id = f"52155{c['id']:08d}"
        yield {"id": c["id"], "identity": f"wa:{wa_id}", "wa_id": wa_id, "user_id": None,
               "name": f"Cliente {c['id']}", "referral": None, "created_at": c["created_at"],
               "updated_at": c["last_message_at"]}  # fmt: skip


def _message_rows(conversations: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Each conversation's last message (the list joins it), from its customer."""
    for c in conversations:
        body = f"Hola, necesito ayuda con mi pedido {400_000 + c['id']}"
        wamid = f"wamid.SEED{c['id']:010d}"
        yield {
            "id": c["id"], "channel_id": c["channel_id"], "conversation_id": c["id"],
            "direction": "inbound", "type": "text", "text": body, "summary": body,
            "status": "received", "wamid": wamid, "local_id": None, "author_id": None,
            "payload": {"from": f"52155{c['id']:08d}", "id": wamid, "type": "text",
                        "text": {"body": body}},
            "error_code": None, "error_title": None, "error_details": None,
            "sent_at": c["last_message_at"], "status_at": None, "created_at": c["last_message_at"],
        }  # fmt: skip


def _chunks(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


# -- the cases ---------------------------------------------------------------------------------


@dataclass
class Case:
    name: str
    kind: str  # "routing" (target p99) or "list" (target p95)
    run: Callable[[int], Any]  # one timed transaction or read; its result is checked
    check: Callable[[list[Any]], str | None] = lambda _: None  # a complaint, or None


@dataclass
class Result:
    name: str
    kind: str
    latency_ms: dict[str, float | None] = field(default_factory=dict)
    statements: float | None = None
    note: str = ""
    error: str | None = None
    slowest_sql: str = ""
    slowest_parameters: Any = None
    slowest_ms: float = 0.0
    explain: list[str] = field(default_factory=list)

    @property
    def target(self) -> str:
        if self.kind == "routing":
            return f"p99 < {TARGET_ROUTING_P99_MS:.0f} ms"
        return f"p95 < {TARGET_LIST_P95_MS:.0f} ms"

    @property
    def missed(self) -> bool:
        if self.kind == "routing":
            return (self.latency_ms.get("p99") or 0) >= TARGET_ROUTING_P99_MS
        return (self.latency_ms.get("p95") or 0) >= TARGET_LIST_P95_MS

    def json(self) -> dict[str, Any]:
        return {
            "name": self.name, "kind": self.kind, "target": self.target,
            "latency_ms": self.latency_ms, "statements": self.statements, "note": self.note,
            "error": self.error, "missed": None if self.error else self.missed,
            "slowest_statement": {"sql": self.slowest_sql, "ms": self.slowest_ms,
                                  "parameters": repr(self.slowest_parameters)},
            "explain": self.explain,
        }  # fmt: skip


def _routing_cases(db: Database, world: World, n: int) -> list[Case]:
    now = datetime.now(UTC)
    with_room = [world.channels[name] for name in QUEUE_NAMES if name != FULL]
    full_agents = world.agents_by_queue[FULL]
    serial = iter(range(10**6))  # new customers' numbers, across the cases and warm-ups

    def new_sender() -> Sender:
        k = next(serial)
        return Sender(wa_id=f"52166{k:08d}", user_id=None, name=f"Nuevo {k}")

    def open_and_route(channel: Channel) -> Any:
        with db.write() as session:
            contact, new_contact = upsert_contact(session, new_sender())
            conversation, _ = open_conversation(
                session, channel.id, contact.id, now,
                queue_id=queue_of_channel(session, channel), new_contact=new_contact,
            )  # fmt: skip
            routed = routing_changes(session, conversation, now, new_contact=new_contact)
            update_conversation(session, conversation, unread_count=1, **routed)
        return routed.get("assignee_id")

    def record_inbound(i: int) -> Any:
        channel = with_room[i % len(with_room)]
        sender = new_sender()
        wamid = f"wamid.BENCHROUTING{sender.wa_id}"
        body = f"Hola, ¿tienen envío a Iztapalapa? pedido {i}"
        inbound = InboundMessage(
            phone_number_id=channel.phone_number_id,
            display_phone_number=channel.display_phone_number, wamid=wamid, sender=sender,
            type=MessageType.TEXT, text=body, summary=body, timestamp=datetime.now(UTC).replace(
                microsecond=0), errors=(),
            raw={"from": sender.wa_id, "id": wamid, "type": "text", "text": {"body": body}},
        )  # fmt: skip
        with db.write() as session:
            message = do_record_inbound_message(session, channel, inbound)
        return message.id if message else None

    def close_one(i: int) -> Any:
        agent_id = full_agents[i % len(full_agents)]
        conversation_id = world.assigned[agent_id].pop(0)
        with db.write() as session:  # the API passes the signed-in user, read before
            do_close_conversation(session, world.agents[agent_id], conversation_id)
        return agent_id

    handed: list[float] = []

    def free_and_assign(i: int) -> Any:
        agent_id = full_agents[(i + 50) % len(full_agents)]
        conversation_id = world.assigned[agent_id].pop(0)
        with db.write() as session:
            session.connection().execute(
                update(CONVERSATIONS).where(CONVERSATIONS.c.id == conversation_id)
                .values(status="closed", closed_at=now)
            )  # fmt: skip
            clock = time.perf_counter()
            assigned = do_assign_waiting(session, [agent_id], now)
            handed.append(time.perf_counter() - clock)
        return assigned

    def all_routed(results: list[Any]) -> str | None:
        missing = sum(r is None for r in results)
        return f"{missing} left waiting" if missing else None

    def none_routed(results: list[Any]) -> str | None:
        routed = sum(r is not None for r in results)
        return f"{routed} routed into a full queue" if routed else None

    def one_each(results: list[Any]) -> str | None:
        wrong = sum(r != 1 for r in results)
        inside = percentiles(handed[-len(results) :])
        note = f"do_assign_waiting itself p50 {inside['p50']} / p99 {inside['p99']} ms"
        return note if not wrong else f"{wrong} did not hand exactly one over; {note}"

    return [
        Case("new conversation: open + routing_changes + UPDATE", "routing",
             lambda i: open_and_route(with_room[i % len(with_room)]), all_routed),
        Case("new customer's message: do_record_inbound_message", "routing",
             record_inbound, lambda r: None if all(r) else "not stored"),
        Case("new conversation into the full queue (it waits)", "routing",
             lambda i: open_and_route(world.channels[FULL]), none_routed),
        Case("place freed: do_close_conversation (+ hand-over)", "routing", close_one),
        Case("place freed: UPDATE + do_assign_waiting([agent])", "routing",
             free_and_assign, one_each),
    ]  # fmt: skip


def _list_cases(db: Database, world: World) -> list[Case]:
    full, room = world.queues[FULL], world.queues["Soporte"]

    def lister(user: User, **filters: Any) -> Callable[[int], Any]:
        def run(_: int) -> Any:
            with db.read() as session:
                return len(list_conversations(session, user, **filters))

        return run

    def rows(results: list[Any]) -> str | None:
        return f"{min(results)}-{max(results)} rows" if min(results) != max(results) else (
            f"{results[0]} rows")  # fmt: skip

    u = world.users
    cases = [
        ("agent (full queue): view mine", u["agent_full"], {"view": "mine"}),
        ("agent (full queue): view queue", u["agent_full"], {"view": "queue"}),
        ("agent (full queue): view all (the API's default)", u["agent_full"], {"view": "all"}),
        ("agent (queue with room): view mine", u["agent_room"], {"view": "mine"}),
        ("agent (queue with room): view queue", u["agent_room"], {"view": "queue"}),
        ("agent (queue with room): view all", u["agent_room"], {"view": "all"}),
        ("supervisor: view all", u["supervisor"], {"view": "all"}),
        ("supervisor: view queue", u["supervisor"], {"view": "queue"}),
        ("supervisor: all, queue_id = full queue", u["supervisor"],
         {"view": "all", "queue_id": full}),
        ("supervisor: all, queue_id = a queue with room", u["supervisor"],
         {"view": "all", "queue_id": room}),
        ("supervisor: all, status = queued", u["supervisor"], {"view": "all", "status": "queued"}),
        ("supervisor: all, status = assigned", u["supervisor"],
         {"view": "all", "status": "assigned"}),
        ("supervisor: all, status = closed", u["supervisor"], {"view": "all", "status": "closed"}),
        ("admin: view all", u["admin"], {"view": "all"}),
        ("admin: all, queue_id = full queue", u["admin"], {"view": "all", "queue_id": full}),
        ("admin: all, status = assigned", u["admin"], {"view": "all", "status": "assigned"}),
        ("admin: all, queue_id + status = closed", u["admin"],
         {"view": "all", "queue_id": room, "status": "closed"}),
    ]  # fmt: skip
    # The inbox's orders (order=unread|waiting): sorted rows, not an index walk.
    cases += [
        (f"{who}: view {view}, order={order}", u[user], {"view": view, "order": order})
        for who, user, view in (
            ("agent (full queue)", "agent_full", "mine"),
            ("agent (full queue)", "agent_full", "queue"),
            ("supervisor", "supervisor", "all"),
            ("admin", "admin", "all"),
        )
        for order in ("recent", "unread", "waiting")
    ]
    return [Case(name, "list", lister(user, **filters), rows) for name, user, filters in cases]


# -- measuring -------------------------------------------------------------------------------


class _StatementCounter:
    """Counts (and, when asked, captures with their times) every statement this process
    sends, on every engine."""

    def __init__(self) -> None:
        self.count = 0
        self.capture: list[tuple[str, Any, float]] | None = None
        self._started: list[float] = []

    def __enter__(self) -> _StatementCounter:
        event.listen(Engine, "before_cursor_execute", self._before)
        event.listen(Engine, "after_cursor_execute", self._after)
        return self

    def __exit__(self, *_: object) -> None:
        event.remove(Engine, "before_cursor_execute", self._before)
        event.remove(Engine, "after_cursor_execute", self._after)

    def _before(self, *_: Any) -> None:
        self.count += 1
        self._started.append(time.perf_counter())

    def _after(self, _c: Any, _cur: Any, statement: str, parameters: Any, *_: Any) -> None:
        elapsed = (time.perf_counter() - self._started.pop()) * 1000
        if self.capture is not None:
            self.capture.append((statement, parameters, elapsed))


def _measure(case: Case, counter: _StatementCounter, n: int, *, warm: int) -> Result:
    result = Result(case.name, case.kind)
    print(f"bench-routing: {case.name} ...", flush=True)
    try:
        for i in range(warm):
            case.run(i)
        times, outcomes = [], []
        before = counter.count
        for i in range(warm, warm + n):
            clock = time.perf_counter()
            outcomes.append(case.run(i))
            times.append(time.perf_counter() - clock)
        result.statements = round((counter.count - before) / n, 1)
        result.latency_ms = percentiles(times)
        result.note = case.check(outcomes) or ""
        counter.capture = []  # one more, its statements kept for EXPLAIN
        case.run(warm + n)
        selects = [c for c in counter.capture if c[0].lstrip().upper().startswith("SELECT")]
        if selects:
            result.slowest_sql, result.slowest_parameters, ms = max(selects, key=lambda c: c[2])
            result.slowest_ms = round(ms, 2)
    except Exception as exc:  # reported as a case that could not run; the others go on
        result.error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        print(f"bench-routing: {case.name}: {result.error}", file=sys.stderr)
    finally:
        counter.capture = None
    return result


def _explain(db: Database, result: Result) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) of the case's slowest SELECT (EXPLAIN QUERY PLAN on
    SQLite), in a transaction rolled back after."""
    if not result.slowest_sql:
        return []
    prefix = "EXPLAIN QUERY PLAN " if db.is_sqlite else "EXPLAIN (ANALYZE, BUFFERS) "
    try:
        with db.read_engine.connect() as connection:
            rows = connection.exec_driver_sql(
                prefix + result.slowest_sql, result.slowest_parameters
            ).all()
            connection.rollback()
    except Exception as exc:
        return [f"(could not EXPLAIN: {type(exc).__name__}: {exc})"]
    sql = _COLUMNS.sub("SELECT … FROM", " ".join(result.slowest_sql.split()), count=1)
    return [sql] + [" | ".join(str(v) for v in row) for row in rows]


_COLUMNS = re.compile(r"^SELECT .{300,}? FROM")  # a list view's 50 columns, in the report


# -- output ----------------------------------------------------------------------------------


def render(results: list[Result]) -> str:
    head = ["what", "p50", "p95", "p99", "max", "statements", "target", "", "note"]
    rows = []
    for r in results:
        if r.error is not None:
            rows.append([r.name, "-", "-", "-", "-", "-", r.target, "COULD NOT RUN", r.error])
            continue
        lat = r.latency_ms
        verdict = "MISSED" if r.missed else "met"
        rows.append([r.name, *(f"{lat[k]} ms" for k in ("p50", "p95", "p99", "max")),
                     str(r.statements), r.target, verdict, r.note])  # fmt: skip
    widths = [max(len(row[i]) for row in [head, *rows]) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(head, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(line.rstrip() for line in lines)


if __name__ == "__main__":
    sys.exit(main())
