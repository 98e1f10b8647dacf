"""The measurements. Each case gets its own server and database, so none inherits another's
backlog; each returns a plain dict that ends up in the JSON and the table."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench_lib import processes as p
from bench_lib.payloads import customer, signed_bodies, wamid, write_request_file
from bench_lib.server import USERS, Databases, Server, start_server, stop_server
from bench_lib.simthread import SimulatorThread
from bench_lib.stats import RssSampler, max_in_window, metric, percentiles, rss_mb
from cdmx.simulator import SimulatorConfig

WRK_LUA = p.ROOT / "bench" / "wrk" / "signed.lua"
OPENLOOP = Path(__file__).with_name("openloop.py")
WRK_CONNECTIONS = 32
DRAIN_LIMIT_SECONDS = 30.0
ADMIN = USERS[0][1]
WATCHER = USERS[1][1]


@dataclass
class Context:
    cleanup: p.Cleanup
    dbs: Databases
    sim: SimulatorThread
    sim_config: SimulatorConfig
    server_port: int
    duration: float
    server_cpu: int | None  # taskset -c for the server
    load_cpu: int | None  # taskset -c for wrk and the generators
    run_id: str
    split: bool = False  # workers in a process of their own, on the load's CPU

    def server(self, case: str, graph_port: int | None = None, **env: str) -> Server:
        return start_server(
            self.cleanup, self.dbs, case, self.server_port, self.server_cpu,
            graph_port=graph_port, split=self.split, worker_cpu=self.load_cpu, **env,
        )  # fmt: skip

    def requests_file(self, name: str, bodies: int, per_body: int, customers: int) -> Path:
        path = self.cleanup.tmp / f"{name}.req"
        if not path.exists():
            run = f"{self.run_id}{name}"
            write_request_file(
                path,
                signed_bodies(
                    self.sim_config, run, bodies, per_body, customers, now=int(time.time())
                ),  # fmt: skip
            )
        return path


# -- closed loop: wrk ----------------------------------------------------------------------


def run_wrk(ctx: Context, url: str, request_file: Path, duration: float) -> dict[str, Any]:
    command = p.pinned(
        ["wrk", "-t1", f"-c{WRK_CONNECTIONS}", f"-d{int(duration)}s", "--timeout", "10s",
         "-s", str(WRK_LUA), url, "--", str(request_file), "1"],
        ctx.load_cpu,
    )  # fmt: skip
    out = subprocess.run(command, capture_output=True, text=True, timeout=duration + 120)
    for line in reversed(out.stdout.splitlines()):
        if line.startswith("{"):
            data: dict[str, Any] = json.loads(line)
            seconds = data["duration_us"] / 1e6
            errors = data["errors"]
            bad = errors["status"] + errors["connect"] + errors["read"] + errors["timeout"]
            data["ok_requests"] = data["requests"] - errors["status"]
            data["requests_per_s"] = round(data["requests"] / seconds, 1)
            data["errors_total"] = bad
            data["latency_ms"] = {k: round(v / 1000, 2) for k, v in data.pop("latency_us").items()}
            return data
    raise RuntimeError(f"wrk printed no result: {out.stderr.strip() or out.stdout.strip()}")


def bare(ctx: Context) -> dict[str, Any]:
    """The ceiling: FastAPI + uvicorn answering 200 to the same requests."""
    port = p.free_port()
    log = ctx.cleanup.tmp / "bare.log"
    proc = ctx.cleanup.spawn(
        p.pinned(
            [sys.executable, str(Path(__file__).with_name("bare_app.py")), str(port)],
            ctx.server_cpu,
        ),  # fmt: skip
        p.env_for("sqlite://", 0, ctx.cleanup.tmp),
        log,
    )
    try:
        p.wait_http(f"http://127.0.0.1:{port}/healthz", proc, log)
        file = ctx.requests_file("single", _pool(ctx, 6000), 1, 5000)
        result = run_wrk(ctx, f"http://127.0.0.1:{port}/webhooks/whatsapp", file, ctx.duration)
    finally:
        ctx.cleanup.stop(proc)
    result["messages_per_s"] = result["requests_per_s"]
    return result


def _pool(ctx: Context, per_second: int) -> int:
    return int(per_second * (ctx.duration + 2))


def ingest(ctx: Context, per_body: int, *, hooked: bool = False) -> dict[str, Any]:
    """wrk replaying signed webhooks, then the inbox processor draining what was stored;
    ``hooked``: with a webhook subscribed to every event (its deliveries written with each
    change, and POSTed to a local receiver while the load runs)."""
    name = "single" if per_body == 1 else f"batch{per_body}"
    bodies = _pool(ctx, 6000 if per_body == 1 else 900)
    file = ctx.requests_file(name, bodies, per_body, 5000)
    server = ctx.server(f"ingest_{name}" + "_hooked" * hooked)
    receiver = None
    if hooked:
        from bench_lib.receiver import ReceiverThread

        receiver = ReceiverThread(p.free_port())
        ctx.cleanup.closers.append(receiver.stop)
        receiver.start()
        _subscribe(server, receiver.url, ["*"])
    try:
        with RssSampler(server.pid) as rss:
            started = time.monotonic()
            result = run_wrk(ctx, f"{server.base_url}/webhooks/whatsapp", file, ctx.duration)
            loaded = time.monotonic()
            rss_at_load_end = rss_mb(server.pid)
            result.update(_drain(server, started, loaded))
        result["rss"] = rss.summary()
        result["rss"]["at_load_end_mb"] = rss_at_load_end and round(rss_at_load_end, 1)
        if receiver is not None:
            result["webhook_events_delivered"] = len(receiver.arrived)
    finally:
        stop_server(ctx.cleanup, server)
        if receiver is not None:
            receiver.stop()
    result["per_body"] = per_body
    result["messages_per_s"] = round(result["requests_per_s"] * per_body, 1)
    result["wrapped"] = result["requests"] > bodies
    return result


def _drain(server: Server, started: float, loaded: float) -> dict[str, Any]:
    """Poll /metrics until the inbox is empty (or the limit passes)."""
    pending_at_end = metric(server.base_url, "cdmx_inbox_pending")
    pending = pending_at_end
    while pending > 0 and time.monotonic() - loaded < DRAIN_LIMIT_SECONDS:
        time.sleep(0.5)
        pending = metric(server.base_url, "cdmx_inbox_pending")
    done = time.monotonic()
    # Every message stored (the ingest load has no replies: all of them are the customers').
    stored = metric(server.base_url, "cdmx_messages_stored")
    return {
        "inbox_pending_at_load_end": int(pending_at_end),
        "inbox_pending_after_drain": int(pending),
        "drain_seconds": round(done - loaded, 1),
        "drained": pending == 0,
        "messages_processed": int(stored),
        "processed_per_s": round(stored / (done - started), 1),
    }


# -- open loop: fixed rate ------------------------------------------------------------------


def run_openloop(
    ctx: Context, port: int, file: Path, rate: float, count: int, name: str
) -> dict[str, Any]:
    out = ctx.cleanup.tmp / f"{name}.json"
    command = p.pinned(
        [sys.executable, str(OPENLOOP), "--port", str(port), "--file", str(file),
         "--rate", str(rate), "--count", str(count), "--out", str(out)],
        ctx.load_cpu,
    )  # fmt: skip
    proc = ctx.cleanup.spawn(command, dict(os.environ), ctx.cleanup.tmp / f"{name}.log")
    try:
        proc.wait(timeout=count / rate + 120)
    finally:
        ctx.cleanup.stop(proc)
    if not out.exists():
        raise RuntimeError((ctx.cleanup.tmp / f"{name}.log").read_text()[-2000:])
    data: dict[str, Any] = json.loads(out.read_text())
    return data


def fixed_rate(ctx: Context, rate: float = 1000.0) -> dict[str, Any]:
    """Answer time at a fixed 1,000 webhooks/s, measured from each request's due time."""
    seconds = min(ctx.duration, 15.0)
    count = int(rate * seconds)
    file = ctx.requests_file("fixed", count, 1, 5000)
    server = ctx.server("fixed_rate")
    try:
        with RssSampler(server.pid) as rss:
            port = int(server.base_url.rsplit(":", 1)[1])
            data = run_openloop(ctx, port, file, rate, count, "fixed")
    finally:
        stop_server(ctx.cleanup, server)
    ok = sum(1 for s in data["status"] if s == 200)
    return {
        "rate": rate, "seconds": seconds, "requests": count, "non_200": count - ok,
        "unanswered": data["unanswered"],
        "latency_ms": percentiles(data["latency"]),
        "generator_max_lag_ms": round(data["lag_max"] * 1000, 1), "rss": rss.summary(),
    }  # fmt: skip


# -- inbound end to end ---------------------------------------------------------------------


class EventListener:
    """An SSE stream of the supervisor; notes when each message.created wamid arrived."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.seen: dict[str, float] = {}
        self.ready = threading.Event()
        self.error: str | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._client = httpx.Client(timeout=httpx.Timeout(10, read=None))

    def start(self) -> None:
        self._thread.start()
        if not self.ready.wait(15):
            raise RuntimeError(f"the event stream did not open: {self.error}")

    def close(self) -> None:
        self._client.close()

    def _run(self) -> None:
        url = f"{self.server.base_url}/api/v1/events"
        event = ""
        try:
            with self._client.stream("GET", url, headers=self.server.headers(WATCHER)) as r:
                for line in r.iter_lines():
                    now = time.time()
                    if line.startswith("event: "):
                        event = line[7:]
                        if event == "hello":
                            self.ready.set()
                    elif line.startswith("data: ") and event == "message.created":
                        message = json.loads(line[6:]).get("message") or {}
                        if message.get("wamid"):
                            self.seen.setdefault(message["wamid"], now)
        except Exception as exc:  # the stream ends when the server stops
            self.error = f"{type(exc).__name__}: {exc}"
            self.ready.set()


def end_to_end(ctx: Context, rate: float = 200.0) -> dict[str, Any]:
    """Webhook due → message.created on a supervisor's event stream, every message from a
    new customer (so every one opens and routes a conversation)."""
    seconds = ctx.duration
    count = int(rate * seconds)
    file = ctx.requests_file("e2e", count, 1, 10**7)
    server = ctx.server("e2e")
    listener = EventListener(server)
    try:
        listener.start()
        port = int(server.base_url.rsplit(":", 1)[1])
        with RssSampler(server.pid) as rss:
            data = run_openloop(ctx, port, file, rate, count, "e2e")
            deadline = time.monotonic() + 10
            while len(listener.seen) < count and time.monotonic() < deadline:
                time.sleep(0.2)
    finally:
        stop_server(ctx.cleanup, server)
        listener.close()
    run = f"{ctx.run_id}e2e"
    # An event never seen counts with the time waited for it: a lower bound, not a gap.
    given_up = time.time()
    latencies = [
        listener.seen.get(wamid(run, i), given_up) - due for i, due in enumerate(data["due"])
    ]
    return {
        "rate": rate, "seconds": seconds, "messages": count,
        "received": sum(1 for i in range(count) if wamid(run, i) in listener.seen),
        "webhooks_unanswered": data["unanswered"],
        "webhooks_not_200": sum(1 for s in data["status"] if s != 200),
        "latency_ms": percentiles(latencies),
        "webhook_latency_ms": percentiles(data["latency"]),
        "generator_max_lag_ms": round(data["lag_max"] * 1000, 1), "rss": rss.summary(),
    }  # fmt: skip


# -- outbound -------------------------------------------------------------------------------


def outbound(
    ctx: Context, rate: float = 50.0, limit: int | None = None, conversations: int = 100
) -> dict[str, Any]:
    """Agent POST due → the Graph API call arriving at the simulator; and the number's rate."""
    seconds = ctx.duration if limit is None else min(ctx.duration, 10.0)
    count = int(rate * seconds)
    env = {} if limit is None else {"CDMX_OUTBOUND_RATE": str(limit)}
    case = "outbound" if limit is None else f"outbound_limit{limit}"
    # A simulator of its own: status webhooks still queued for an earlier case's server
    # must not land on this one.
    simthread = SimulatorThread(p.free_port(), ctx.sim_config)
    ctx.cleanup.closers.append(simthread.stop)
    simthread.start()
    sim = simthread.sim
    server = ctx.server(case, graph_port=simthread.port, **env)
    try:
        heads = _open_conversations(simthread, server, conversations)
        sim.sent_requests.clear()
        with RssSampler(server.pid) as rss:
            posts = asyncio.run(_post_replies(server, heads, rate, count, case))
            deadline = time.monotonic() + min(count / (limit or rate) + 5, 20)
            while time.monotonic() < deadline and len(_sends(sim, case)) < count:
                time.sleep(0.2)
    finally:
        stop_server(ctx.cleanup, server)
        simthread.stop()
    sends = _sends(sim, case)
    given_up = time.time()  # a reply never sent counts with the time waited: a lower bound
    latencies = [sends.get(i, given_up) - due for i, due in enumerate(posts["due"])]
    times = list(sends.values())
    effective = limit or 80
    return {
        "rate": rate, "seconds": seconds, "replies": count, "outbound_rate_setting": effective,
        "accepted_202": posts["accepted"], "sent": len(sends),
        "post_errors": posts["error_count"], "post_error_samples": posts["errors"],
        "latency_ms": percentiles(latencies), "post_latency_ms": percentiles(posts["latency"]),
        "max_sends_in_any_1s": max_in_window(times) if times else 0,
        "rate_limit_respected": (max_in_window(times) if times else 0) <= effective,
        "send_span_s": round(max(times) - min(times), 1) if times else None,
        "rss": rss.summary(),
    }  # fmt: skip


def _sends(sim: Any, case: str) -> dict[int, float]:
    """Reply index → when its Graph API call arrived, from the simulator's records."""
    prefix = f"bench {case} "
    out: dict[int, float] = {}
    for record in list(sim.sent_requests):
        body = record.body if isinstance(record.body, dict) else {}
        text = (
            (body.get("text") or {}).get("body", "") if isinstance(body.get("text"), dict) else ""
        )
        if text.startswith(prefix):
            out.setdefault(int(text[len(prefix) :]), record.received_at)
    return out


def _open_conversations(
    simthread: SimulatorThread, server: Server, n: int
) -> list[tuple[int, str]]:
    """Customers write first (through the simulator), so each window is open; returns
    (conversation id, the email of whoever answers it: its agent, else the admin)."""
    wa_ids = [customer(9_000_000 + i) for i in range(n)]

    async def write_all() -> None:
        await asyncio.gather(
            *(simthread.sim.customer_sends_text(w, name, "Hola, ¿me ayudan?") for w, name in wa_ids)
        )

    simthread.call(write_all(), timeout=60)
    wanted = {w for w, _ in wa_ids}
    deadline = time.monotonic() + 60
    while True:
        rows = httpx.get(
            f"{server.base_url}/api/v1/conversations", params={"view": "all", "limit": 500},
            headers=server.headers(ADMIN), timeout=30,
        ).json()["conversations"]  # fmt: skip
        found = [r for r in rows if r["contact"]["wa_id"] in wanted]
        if len(found) >= n or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    return [(r["id"], server.user_ids.get(r["assignee_id"] or -1, ADMIN)) for r in found]


async def _post_replies(
    server: Server, heads: list[tuple[int, str]], rate: float, count: int, case: str
) -> dict[str, Any]:
    """Open loop: reply i is due at start + i/rate, to conversation i mod len(heads)."""
    if not heads:
        raise RuntimeError("no conversation was opened for the outbound case")
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    latency = [float("nan")] * count
    accepted = 0
    errors: list[str] = []
    async with httpx.AsyncClient(base_url=server.base_url, limits=limits, timeout=30) as client:
        loop = asyncio.get_running_loop()
        start, start_wall = loop.time() + 0.2, time.time() + 0.2

        async def one(i: int) -> None:
            nonlocal accepted
            conversation_id, email = heads[i % len(heads)]
            try:
                r = await client.post(
                    f"/api/v1/conversations/{conversation_id}/messages",
                    json={"type": "text", "text": f"bench {case} {i}", "local_id": f"{case}-{i}"},
                    headers=server.headers(email),
                )
            except httpx.HTTPError as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
                return
            latency[i] = loop.time() - (start + i / rate)
            accepted += r.status_code == 202
            if r.status_code != 202:
                errors.append(f"{r.status_code} {r.text[:200]}")

        tasks = []
        for i in range(count):
            delay = start + i / rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(i)))
        await asyncio.gather(*tasks)
    return {"due": [start_wall + i / rate for i in range(count)], "latency": latency,
            "accepted": accepted, "errors": errors[:5], "error_count": len(errors)}  # fmt: skip


# -- outgoing webhooks ----------------------------------------------------------------------


def _subscribe(server: Server, url: str, events: list[str]) -> None:
    r = httpx.post(
        f"{server.base_url}/api/v1/webhooks", json={"url": url, "events": events},
        headers=server.headers(ADMIN), timeout=30,
    )  # fmt: skip
    r.raise_for_status()


def webhooks(ctx: Context, rate: float = 200.0, down_seconds: float = 60.0) -> dict[str, Any]:
    """Outgoing webhooks to a local receiver subscribed to every event, the messages from
    200 customers (after each one's first, one ``message.created`` a message: ``rate`` is
    about the events/s): (1) at ``rate``, from the event's creation to the receiver's request;
    (2) the receiver down for ``down_seconds`` under the same load, then back: how long the
    backlog takes and at what rate it is delivered."""
    from bench_lib.receiver import ReceiverThread

    receiver = ReceiverThread(p.free_port())
    ctx.cleanup.closers.append(receiver.stop)
    receiver.start()
    steady_seconds = ctx.duration
    count = int(rate * steady_seconds)
    outage_count = int(rate * down_seconds)
    file = ctx.requests_file("webhooks", count + outage_count, 1, 200)
    server = ctx.server("webhooks")
    try:
        _subscribe(server, receiver.url, ["*"])
        port = int(server.base_url.rsplit(":", 1)[1])
        with RssSampler(server.pid) as rss:
            steady = run_openloop(ctx, port, file, rate, count, "webhooks_steady")
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and (
                metric(server.base_url, "cdmx_inbox_pending")
                or metric(server.base_url, "cdmx_webhook_deliveries_pending")
            ):
                time.sleep(0.2)
            steady_ids = dict(receiver.arrived)
            steady_left = int(metric(server.base_url, "cdmx_webhook_deliveries_pending"))
            # (2) down for a while, under load; then up again.
            receiver.down = True
            before = len(receiver.arrived)
            outage_file = ctx.cleanup.tmp / "webhooks_outage.req"
            _tail_requests(file, outage_file, skip=count)
            run_openloop(ctx, port, outage_file, rate, outage_count, "webhooks_outage")
            receiver.down = False
            up = time.time()
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline and (
                metric(server.base_url, "cdmx_inbox_pending")
                or metric(server.base_url, "cdmx_webhook_deliveries_pending")
            ):
                time.sleep(0.2)
            caught_up = time.time()
            left = int(metric(server.base_url, "cdmx_webhook_deliveries_pending"))
    finally:
        stop_server(ctx.cleanup, server)
        receiver.stop()
    latencies = [steady_ids[i] - receiver.created[i] for i in steady_ids]
    span = (max(steady_ids.values()) - min(steady_ids.values())) if steady_ids else 0.0
    backlog = len(receiver.arrived) - before
    catch_up = caught_up - up
    return {
        "rate": rate, "seconds": steady_seconds, "webhooks": count,
        "events_delivered": len(steady_ids), "events_left_pending": steady_left,
        "events_per_s": round(len(steady_ids) / span, 1) if span else None,
        "latency_ms": percentiles(latencies),
        "webhook_answer_ms": percentiles(steady["latency"]),
        "outage_seconds": down_seconds, "refused_while_down": receiver.refused,
        "backlog_events": backlog, "backlog_left_pending": left,
        "catch_up_seconds": round(catch_up, 1),
        "catch_up_per_s": round(backlog / catch_up, 1) if catch_up > 0 else None,
        "rss": rss.summary(),
    }  # fmt: skip


def _tail_requests(source: Path, target: Path, skip: int) -> None:
    """The request file from request ``skip`` on (one request per line)."""
    with source.open("rb") as src, target.open("wb") as out:
        for n, line in enumerate(src):
            if n >= skip:
                out.write(line)
