"""An open-loop load generator: sends pre-signed webhooks at a fixed rate, in its own process.

Request i is *due* at start + i/rate whatever happened to earlier ones, and its latency is
measured from that due time, not from when it was written: a server stall shows up in the
percentiles instead of silently slowing the generator (coordinated omission). Requests wait
for one of a fixed pool of keep-alive connections; that wait is part of the latency too.

Run as ``python scripts/bench_lib/openloop.py --port P --file F --rate R --count N --out O``.
Writes ``{"due": [...], "latency": [...], "status": [...], "lag_max": s, "unanswered": n}``
(wall-clock due times, seconds) to O. A request still unanswered ``--grace`` seconds after
the last one was due is cancelled, counted as unanswered (status 0), and given the latency
it had reached then: a lower bound.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import time
from pathlib import Path

PATH = "/webhooks/whatsapp"


def raw_requests(path: Path, count: int, host: str) -> list[bytes]:
    """The first ``count`` lines of a request file as complete HTTP/1.1 requests."""
    out: list[bytes] = []
    with path.open("rb") as source:
        for line in source:
            if len(out) >= count:
                break
            signature, body = line.rstrip(b"\n").split(b"\t", 1)
            head = (
                f"POST {PATH} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                f"X-Hub-Signature-256: {signature.decode()}\r\nContent-Length: {len(body)}\r\n\r\n"
            )
            out.append(head.encode() + body)
    return out


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> int:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length:
        await reader.readexactly(length)
    return status


async def run(
    host: str, port: int, requests: list[bytes], rate: float, connections: int, grace: float
) -> dict[str, object]:
    pool: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(await asyncio.open_connection(host, port))
    n = len(requests)
    latency = [float("nan")] * n
    status = [0] * n
    loop = asyncio.get_running_loop()
    start_wall = time.time() + 0.2
    start = loop.time() + 0.2
    lag_max = 0.0

    async def one(i: int, due: float) -> None:
        reader, writer = await pool.get()
        for _ in range(2):
            try:
                status[i] = await _exchange(reader, writer, requests[i])
                break
            except (OSError, asyncio.IncompleteReadError, ValueError):
                # The server closed a keep-alive connection left idle past its timeout (at
                # low rates each of the pool's connections waits seconds between requests):
                # send again on a new one, as any HTTP client does. A second failure counts.
                status[i] = -1
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
        latency[i] = loop.time() - due
        pool.put_nowait((reader, writer))

    tasks = []
    for i in range(n):
        due = start + i / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        else:
            lag_max = max(lag_max, -delay)
        tasks.append(asyncio.create_task(one(i, due)))
    _, late = await asyncio.wait(tasks, timeout=grace)
    for task in late:  # no answer by the deadline: counted, with a lower-bound latency
        task.cancel()
    unanswered = 0
    for i in range(n):
        if math.isnan(latency[i]):
            unanswered += 1
            latency[i] = loop.time() - (start + i / rate)
    while not pool.empty():
        pool.get_nowait()[1].close()
    return {
        "unanswered": unanswered,
        "due": [start_wall + i / rate for i in range(n)],
        "latency": latency,
        "status": status,
        "lag_max": lag_max,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--file", type=Path, required=True)
    parser.add_argument("--rate", type=float, required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--connections", type=int, default=256)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--grace", type=float, default=10.0, help="seconds to wait after the last")
    args = parser.parse_args()
    requests = raw_requests(args.file, args.count, f"{args.host}:{args.port}")
    runner = asyncio.run
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:
        pass
    result = runner(run(args.host, args.port, requests, args.rate, args.connections, args.grace))
    args.out.write_text(json.dumps(result))


if __name__ == "__main__":
    main()
