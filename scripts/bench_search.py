"""Message search over a large corpus: ``GET /api/v1/messages?q=`` against a real ``cdmx serve``.

    .venv/bin/python scripts/bench_search.py                        # SQLite, temporary directory
    .venv/bin/python scripts/bench_search.py --db postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    .venv/bin/python scripts/bench_search.py --messages 100000 --queries 100   # a quick check
    .venv/bin/python scripts/bench_search.py --index-after   # load at 0005, then time 0006

Builds a seeded corpus (scripts/bench_lib/search_corpus.py: 1,000,000 messages by default),
starts the server on it (on CPU 0; this client on CPU 1, unless --no-pin), signs in a
supervisor and an agent, warms up, then sends a mix of searches one at a time over one
keep-alive connection: rare words, order numbers, mid-frequency and very common words, two
words, 2-4 letter prefixes, accentless forms of accented words, and searches that match
nothing; the second page of every common-word search too. Latency is timed by the client.
Prints p50/p95/p99/max per kind against the target (DESIGN.md: p95 < 50 ms over 1,000,000
messages), with the EXPLAIN of the slowest kind's slowest search, and writes everything to
bench/results/bench-search-<db>-<time>.json. With --db a database ``cdmx_bench_search`` is
created beside the named one and dropped at the end, also on Ctrl+C.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "scripts"), str(ROOT)]

import httpx  # noqa: E402
from bench_lib import processes as p  # noqa: E402
from bench_lib import search_corpus as corpus_lib  # noqa: E402
from bench_lib.machine import machine_info  # noqa: E402
from bench_lib.server import Server, stop_server  # noqa: E402
from bench_lib.stats import percentiles  # noqa: E402
from sqlalchemy import event  # noqa: E402

DB_NAME = "cdmx_bench_search"
TARGET_P95_MS = 50.0
RESULTS = ROOT / "bench" / "results"
KINDS = ("rare", "order", "mid", "common", "two_words", "prefix", "accentless", "no_match")
PAGE2 = "common_page2"
BASELINE, WAMID = "baseline", "wamid"
LABELS = {
    "rare": "rare word", "order": "order number", "mid": "mid-frequency word",
    "common": "very common word", PAGE2: "  its second page", "two_words": "two words",
    "prefix": "prefix (2-4 letters)", "accentless": "accentless form", "no_match": "no match",
}  # fmt: skip


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="a PostgreSQL URL (default: SQLite in a temporary directory)")
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=300, help="searches per signed-in user")
    parser.add_argument("--seed", type=int, default=corpus_lib.SEED)
    parser.add_argument("--no-pin", action="store_true", help="do not pin server and client")
    parser.add_argument(
        "--index-after", action="store_true",
        help="load the messages before migration 0006, then time the migration building the "
        "search index (an existing installation upgrading)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.db and args.db.startswith("postgresql://"):
        args.db = "postgresql+psycopg://" + args.db.removeprefix("postgresql://")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    return p.run_cleanly("bench-search", lambda cleanup: _run(args, cleanup))


def _run(args: argparse.Namespace, cleanup: p.Cleanup) -> int:
    pin = not args.no_pin and (os.cpu_count() or 1) >= 2
    info = machine_info(ROOT, p.pg_version(args.db) if args.db else None)
    kind = "postgresql" if args.db else "sqlite"
    database = f"PostgreSQL {info['postgresql']}" if args.db else f"SQLite {info['sqlite']}"
    print(
        f"bench-search: {info['cpu']}, {info['cores']} cores, {info['ram_gb']} GB; {database}; "
        f"{'server on CPU 0, client on CPU 1' if pin else 'not pinned'}",
        flush=True,
    )
    if args.db:
        cleanup.pg_databases.append((args.db, DB_NAME))
        url = p.create_pg_database(args.db, DB_NAME)
    else:
        url = f"sqlite:///{cleanup.tmp / 'search.db'}"

    print(f"bench-search: building {args.messages:,} messages ...", flush=True)
    started = time.perf_counter()
    corpus = corpus_lib.build(url, args.messages, seed=args.seed, index_after=args.index_after)
    corpus.seconds["total"] = time.perf_counter() - started
    sizes = corpus_lib.pg_size(url) if args.db else corpus_lib.sqlite_size(url)
    print(_corpus_line(corpus, sizes), flush=True)

    if pin:
        os.sched_setaffinity(0, {1})
    server = _start(cleanup, url, 0 if pin else None)
    cpu_before = _cpu_by_process()
    try:
        samples, baseline = _measure(server, corpus, args)
    finally:
        stop_server(cleanup, server)
    others = _others(cpu_before, {os.getpid(), server.pid})
    if sum(others.values()) > 2:
        print(f"bench-search: warning: other programs used CPU while this ran ({others}); "
              "the latencies are higher than this machine's", file=sys.stderr)  # fmt: skip

    results = _summarise(samples)
    for other in (BASELINE, WAMID):
        results[other] = {
            r: _summarise([s for s in baseline if s.role == r and s.kind == other])["overall"]
            for r in ("supervisor", "agent")
        }
    explain = _explain(url, corpus, results, samples)
    rows = table(results, corpus)
    print()
    print(render(rows))
    if explain.get("plan"):
        print(f"\nslowest: {explain['kind']} ({explain['role']}) q={explain['q']!r}: "
              f"{explain['statement_ms']} ms in its slowest statement, {explain['search_page_ms']} "
              f"ms in search_page (in process)")  # fmt: skip
        print("  " + "\n  ".join(explain["plan"]))
    elif explain.get("error"):
        print(f"\nbench-search: could not EXPLAIN the slowest search: {explain['error']}")
    report = {
        "database": kind, "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": info, "pinned": pin, "messages": args.messages, "queries": args.queries,
        "seed": args.seed, "index_after": args.index_after, "target_p95_ms": TARGET_P95_MS,
        "cpu_seconds_of_other_programs": others,
        "corpus": _corpus_json(corpus, sizes), "results": results, "explain": explain,
        "table": rows, "samples": [s.__dict__ for s in samples + baseline],
    }  # fmt: skip
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"bench-search-{kind}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(f"\nbench-search: wrote {out.relative_to(ROOT)}")
    return 0


def _measure(
    server: Server, corpus: corpus_lib.Corpus, args: argparse.Namespace
) -> tuple[list[Sample], list[Sample]]:
    """The searches of a supervisor, then of an agent, each after a warm-up; and the
    baseline requests beside them."""
    rng = random.Random(args.seed)
    agent_id = corpus.users[corpus.agent_email]
    roles = {"supervisor": corpus_lib.SUPERVISOR_EMAIL, "agent": corpus.agent_email}
    samples: list[Sample] = []
    baseline: list[Sample] = []
    with httpx.Client(base_url=server.base_url, timeout=120) as client:
        for email in roles.values():
            r = client.post("/api/v1/auth/token",
                            json={"email": email, "password": corpus_lib.PASSWORD})  # fmt: skip
            r.raise_for_status()
            server.tokens[email] = r.json()["access_token"]
        for role, email in roles.items():
            scope = None if role == "supervisor" else agent_id
            pools = corpus_lib.query_pools(corpus, random.Random(args.seed + 1), scope)
            warm = _mix(random.Random(args.seed + 2), pools, max(16, args.queries // 5))
            print(f"bench-search: {role}: {len(warm)} warm-up searches, then "
                  f"{args.queries} ...", flush=True)  # fmt: skip
            for kind, q in warm:
                _search(client, server, email, role, kind, q, scope)
            for _ in range(max(8, args.queries // 10)):  # the same stack, no search
                for other in (BASELINE, WAMID):
                    baseline.append(_search(client, server, email, role, other, "", scope))
            for kind, q in _mix(rng, pools, args.queries):
                sample = _search(client, server, email, role, kind, q, scope)
                samples.append(sample)
                if kind == "common" and sample.next_before is not None:
                    samples.append(_search(client, server, email, role, PAGE2, q, scope,
                                           before=sample.next_before))  # fmt: skip
    return samples, baseline


def _cpu_by_process() -> dict[int, tuple[str, float]]:
    """CPU seconds used so far by every process: pid -> (name, seconds)."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            raw = stat.read_text()
        except OSError:
            continue
        name = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2 :].split()
        out[int(stat.parent.name)] = (name, (int(fields[11]) + int(fields[12])) / tick)
    return out


def _others(before: dict[int, tuple[str, float]], mine: set[int]) -> dict[str, float]:
    """CPU seconds other programs used since ``before`` (PostgreSQL's own processes and
    this bench's excluded), by program name, the largest first."""
    used: dict[str, float] = {}
    for pid, (name, seconds) in _cpu_by_process().items():
        if pid in mine or name.startswith("postgres"):
            continue
        delta = seconds - before.get(pid, (name, 0.0))[1]
        if delta > 0.05:
            used[name] = round(used.get(name, 0.0) + delta, 2)
    return dict(sorted(used.items(), key=lambda kv: -kv[1]))


def _start(cleanup: p.Cleanup, url: str, cpu: int | None) -> Server:
    port = p.free_port()
    log = cleanup.tmp / "server-search.log"
    env = p.env_for(url, p.free_port(), cleanup.tmp)  # nothing listens there: nothing is sent
    command = [str(p.VENV_BIN / "cdmx"), "serve", "--port", str(port)]
    proc = cleanup.spawn(p.pinned(command, cpu), env, log)
    base = f"http://127.0.0.1:{port}"
    p.wait_http(f"{base}/healthz", proc, log)
    return Server(proc, base, log)


# -- the searches -------------------------------------------------------------------------


@dataclass
class Sample:
    kind: str
    role: str
    q: str
    ms: float
    status: int
    results: int
    next_before: int | None
    mismatched: int  # results whose text lacks a word of the search
    not_visible: int  # results of another agent's conversation (agent only)
    out_of_order: int  # ids not strictly decreasing (or not below ``before``)


def _mix(rng: random.Random, pools: dict[str, list[str]], n: int) -> list[tuple[str, str]]:
    """``n`` searches, the kinds in equal shares, shuffled."""
    mix = [(KINDS[i % len(KINDS)], rng.choice(pools[KINDS[i % len(KINDS)]])) for i in range(n)]
    rng.shuffle(mix)
    return mix


def _search(
    client: httpx.Client, server: Server, email: str, role: str, kind: str, q: str,
    scope: int | None, *, before: int | None = None,
) -> Sample:  # fmt: skip
    path, params = "/api/v1/messages", {"q": q}
    if kind == BASELINE:  # signed in, one small row: what any request costs
        path, params = "/api/v1/me", {}
    elif kind == WAMID:  # the same endpoint, finding a message by a wamid that does not exist
        params = {"wamid": "wamid.none"}
    if before is not None:
        params["before"] = str(before)
    headers = server.headers(email)
    started = time.perf_counter()
    try:
        r = client.get(path, params=params, headers=headers)
    except httpx.TransportError as exc:  # counted as an error; the next request reconnects
        print(f"bench-search: q={q!r}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return Sample(kind, role, q, (time.perf_counter() - started) * 1000, 0, 0, None, 0, 0, 0)
    elapsed = time.perf_counter() - started
    if r.status_code != 200:
        print(f"bench-search: q={q!r} answered {r.status_code}: {r.text[:200]}", file=sys.stderr)
        return Sample(kind, role, q, elapsed * 1000, r.status_code, 0, None, 0, 0, 0)
    body = r.json()
    messages = body.get("messages", [])
    words = corpus_lib.words(q)
    mismatched = sum(not corpus_lib.matches(words, m.get("text") or "") for m in messages)
    not_visible = 0
    if scope is not None:
        not_visible = sum(m["conversation"]["assignee_id"] not in (None, scope) for m in messages)
    ids = [m["id"] for m in messages]
    bound = [before] if before is not None else []
    out_of_order = sum(a <= b for a, b in zip(bound + ids, ids[len(bound) == 0 :], strict=False))
    return Sample(
        kind, role, q, round(elapsed * 1000, 3), 200, len(messages), body.get("next_before"),
        mismatched, not_visible, out_of_order,
    )  # fmt: skip


def _summarise(samples: list[Sample]) -> dict[str, Any]:
    def block(chosen: list[Sample]) -> dict[str, Any]:
        ok = [s for s in chosen if s.status == 200]
        return {
            "latency_ms": percentiles([s.ms / 1000 for s in chosen]),
            "results_avg": round(sum(s.results for s in ok) / len(ok), 1) if ok else None,
            "empty": sum(s.results == 0 for s in ok),
            "errors": len(chosen) - len(ok),
            "mismatched": sum(s.mismatched for s in ok),
            "not_visible": sum(s.not_visible for s in ok),
            "out_of_order": sum(s.out_of_order for s in ok),
        }

    roles = ("supervisor", "agent")
    return {
        "overall": block(samples),
        "by_role": {r: block([s for s in samples if s.role == r]) for r in roles},
        "by_kind": {
            k: {r: block([s for s in samples if s.kind == k and s.role == r]) for r in roles}
            for k in (*KINDS, PAGE2)
        },
    }


# -- EXPLAIN of the slowest -----------------------------------------------------------------


def _explain(
    url: str, corpus: corpus_lib.Corpus, results: dict[str, Any], samples: list[Sample]
) -> dict[str, Any]:
    """Re-run the slowest kind's slowest search in this process, capturing its statements,
    and EXPLAIN (ANALYZE, BUFFERS) the slowest of them (EXPLAIN QUERY PLAN on SQLite)."""
    worst: tuple[float, str, str] | None = None
    for kind, by_role in results["by_kind"].items():
        for role, block in by_role.items():
            p95 = block["latency_ms"]["p95"]
            if p95 is not None and (worst is None or p95 > worst[0]):
                worst = (p95, kind, role)
    if worst is None:
        return {}
    _, kind, role = worst
    sample = max((s for s in samples if s.kind == kind and s.role == role), key=lambda s: s.ms)
    try:
        return _explain_one(url, corpus, sample)
    except Exception as exc:  # the search's internals may move; the numbers above stand
        return {"kind": kind, "role": role, "q": sample.q, "error": f"{type(exc).__name__}: {exc}"}


def _explain_one(url: str, corpus: corpus_lib.Corpus, sample: Sample) -> dict[str, Any]:
    from cdmx.db.engine import Database
    from cdmx.db.search import SearchQuery
    from cdmx.db.tables import User
    from cdmx.queries.messages import search_page

    email = corpus_lib.SUPERVISOR_EMAIL if sample.role == "supervisor" else corpus.agent_email
    db = Database(url)
    captured: list[tuple[str, Any, float]] = []
    started: list[float] = []

    def before(_c: Any, _cur: Any, statement: str, parameters: Any, *_: Any) -> None:
        started.append(time.perf_counter())

    def after(_c: Any, _cur: Any, statement: str, parameters: Any, *_: Any) -> None:
        captured.append((statement, parameters, (time.perf_counter() - started.pop()) * 1000))

    try:
        engine = db.read_engine
        with db.read() as session:
            user = session.get(User, corpus.users[email])
            assert user is not None
            query = SearchQuery.parse(sample.q)
            before_id = None
            if sample.kind == PAGE2:
                before_id = search_page(session, user, query)["next_before"]
            event.listen(engine, "before_cursor_execute", before)
            event.listen(engine, "after_cursor_execute", after)
            try:
                clock = time.perf_counter()
                search_page(session, user, query, before_id=before_id)
                page_ms = (time.perf_counter() - clock) * 1000
            finally:
                event.remove(engine, "before_cursor_execute", before)
                event.remove(engine, "after_cursor_execute", after)
            statement, parameters, ms = max(captured, key=lambda c: c[2])
            prefix = "EXPLAIN QUERY PLAN " if db.is_sqlite else "EXPLAIN (ANALYZE, BUFFERS) "
            rows = session.connection().exec_driver_sql(prefix + statement, parameters).all()
            plan = [" | ".join(str(v) for v in row) for row in rows]
    finally:
        db.dispose()
    return {
        "kind": sample.kind, "role": sample.role, "q": sample.q, "before": before_id,
        "statements": [{"sql": s, "ms": round(t, 2)} for s, _, t in captured],
        "statement": statement, "parameters": repr(parameters), "statement_ms": round(ms, 2),
        "search_page_ms": round(page_ms, 2), "plan": plan,
    }  # fmt: skip


# -- output ------------------------------------------------------------------------------


def _corpus_line(corpus: corpus_lib.Corpus, sizes: dict[str, str]) -> str:
    s = corpus.seconds
    index = f", search index {s['search_index']:.1f} s" if "search_index" in s else ""
    probes = ", ".join(f"{w} {share:.1%}" for w, share in corpus.probes.items())
    return (
        f"bench-search: {corpus.messages:,} messages ({corpus.null_text:,} without text, "
        f"{corpus.media:,} with a file), {corpus.conversations:,} conversations, "
        f"{corpus.contacts:,} contacts; built in {s['total']:.1f} s (load {s['load']:.1f} s = "
        f"{corpus.messages / s['load']:,.0f} msg/s{index}); {sizes}\n"
        f"bench-search: messages containing: {probes}"
    )


def _corpus_json(corpus: corpus_lib.Corpus, sizes: dict[str, str]) -> dict[str, Any]:
    return {
        "messages": corpus.messages, "conversations": corpus.conversations,
        "contacts": corpus.contacts, "media": corpus.media, "null_text": corpus.null_text,
        "seconds": {k: round(v, 2) for k, v in corpus.seconds.items()},
        "messages_per_s": round(corpus.messages / corpus.seconds["load"]),
        "word_shares": corpus.probes, "sizes": sizes,
    }  # fmt: skip


def _verdict(p95: float | None) -> str:
    return "-" if p95 is None else ("met" if p95 < TARGET_P95_MS else "NOT MET")


def _measured(block: dict[str, Any], *, counts: bool = True) -> str:
    lat = block["latency_ms"]
    text = f"p50 {lat['p50']} / p95 {lat['p95']} / p99 {lat['p99']} / max {lat['max']} ms"
    if counts:
        text += f", {block['results_avg']} results avg ({block['empty']}/{lat['n']} empty)"
    problems = [f"{block[k]} {k.replace('_', ' ')}" for k in
                ("errors", "mismatched", "not_visible", "out_of_order") if block[k]]  # fmt: skip
    return text + (f"; {', '.join(problems)}" if problems else "")


def table(results: dict[str, Any], corpus: corpus_lib.Corpus) -> list[list[str]]:
    """[what, measured, target, verdict] rows."""
    target = f"p95 < {TARGET_P95_MS:.0f} ms"
    s = corpus.seconds
    rows = [[
        f"corpus: {corpus.messages:,} messages",
        f"built in {s['total']:.1f} s (load {s['load']:.1f} s"
        + (f", index {s['search_index']:.1f} s" if "search_index" in s else "") + ")", "", "-",
    ]]  # fmt: skip
    overall = results["overall"]
    n = overall["latency_ms"]["n"]
    rows.append([f"search, all {n} requests", _measured(overall, counts=False), target,
                 _verdict(overall["latency_ms"]["p95"])])  # fmt: skip
    for role in ("supervisor", "agent"):
        block = results["by_role"][role]
        rows.append([f"  {role}", _measured(block, counts=False), target,
                     _verdict(block["latency_ms"]["p95"])])  # fmt: skip
    for role in ("supervisor", "agent"):
        rows.append([f"{role}, by kind", "", "", ""])
        for other, label in ((BASELINE, "baseline: GET /me"), (WAMID, "?wamid= (no search)")):
            block = results[other][role]
            rows.append([f"  {label}", _measured(block, counts=False), "", ""])
        for kind in (*KINDS[:4], PAGE2, *KINDS[4:]):
            block = results["by_kind"][kind][role]
            if block["latency_ms"]["n"]:
                rows.append([f"  {LABELS[kind]}", _measured(block), target,
                             _verdict(block["latency_ms"]["p95"])])  # fmt: skip
    return rows


def render(rows: list[list[str]]) -> str:
    head = ["what", "measured", "target", ""]
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(4)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(head, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(line.rstrip() for line in lines)


if __name__ == "__main__":
    sys.exit(main())
