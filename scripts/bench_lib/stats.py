"""Percentiles, the server's memory, and the inbox backlog read from /metrics."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import httpx


def percentiles(values: Sequence[float], scale: float = 1000.0) -> dict[str, float | None]:
    """p50/p95/p99/max of ``values`` (seconds), times ``scale`` (default: milliseconds)."""
    clean = sorted(v for v in values if not math.isnan(v))
    if not clean:
        return {"p50": None, "p95": None, "p99": None, "max": None, "n": 0}

    def at(q: float) -> float:
        index = min(len(clean) - 1, max(0, math.ceil(q * len(clean)) - 1))
        return round(clean[index] * scale, 2)

    return {"p50": at(0.50), "p95": at(0.95), "p99": at(0.99), "max": at(1.0), "n": len(clean)}


def max_in_window(times: Sequence[float], window: float = 1.0) -> int:
    """The most events in any half-open window [t, t + window)."""
    ordered = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(ordered):
        while ordered[start] <= t - window:
            start += 1
        best = max(best, end - start + 1)
    return best


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


class RssSampler:
    """Samples a process's resident memory every half second in a thread."""

    def __init__(self, pid: int, every: float = 0.5) -> None:
        self.pid, self.every = pid, every
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(2)

    def _run(self) -> None:
        while not self._stop.is_set():
            value = rss_mb(self.pid)
            if value is not None:
                self.samples.append((time.monotonic(), value))
            self._stop.wait(self.every)

    def summary(self) -> dict[str, float | None]:
        values = [v for _, v in self.samples]
        return {
            "peak_mb": round(max(values), 1) if values else None,
            "end_mb": round(values[-1], 1) if values else None,
            "start_mb": round(values[0], 1) if values else None,
        }


def metric(base_url: str, prefix: str) -> float:
    """The sum of the samples on /metrics whose line starts with ``prefix`` (a gauge name,
    optionally with the start of its labels: ``cdmx_conversations{status="queued"``)."""
    text = httpx.get(f"{base_url}/metrics", timeout=30).text
    total = 0.0
    for line in text.splitlines():
        head, _, value = line.rpartition(" ")
        if head == prefix or (head.startswith(prefix) and head[len(prefix)] in "{,"):
            total += float(value)
    return total
