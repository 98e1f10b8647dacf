"""Fault mode: injected latency, random server errors and throughput throttling."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Fault:
    """A Graph error the simulator answers instead of doing the work."""

    http_status: int
    code: int
    message: str
    details: str | None = None
    is_transient: bool | None = None


THROTTLED = Fault(
    http_status=429,
    code=130429,
    message="(#130429) Rate limit hit",
    details="Cloud API message throughput has been reached.",
)
# Meta answers transient outages with either the platform-wide code 1 or WhatsApp's 131000.
SERVER_ERRORS = (
    Fault(500, 1, "An unknown error has occurred.", None, True),
    Fault(500, 131000, "(#131000) Something went wrong", "Something went wrong", True),
)


class FaultInjector:
    """Decides, per Graph call, whether to delay, fail or throttle it."""

    def __init__(
        self,
        *,
        error_rate: float = 0.0,
        latency_ms: int = 0,
        throttle_per_second: float = 0.0,
        seed: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.error_rate = error_rate
        self.latency_ms = latency_ms
        self.throttle_per_second = throttle_per_second
        self._rng = random.Random(seed)
        self._clock = clock
        self._tokens = 0.0
        self._refilled_at = clock()
        self._reset_bucket()

    def snapshot(self) -> dict[str, Any]:
        """The current fault settings as JSON-ready values."""
        return {
            "error_rate": self.error_rate,
            "latency_ms": self.latency_ms,
            "throttle_per_second": self.throttle_per_second,
        }

    def update(self, changes: Mapping[str, Any]) -> None:
        """Change some settings at runtime; raises ValueError on a bad value or key."""
        unknown = set(changes) - {"error_rate", "latency_ms", "throttle_per_second"}
        if unknown:
            raise ValueError(f"unknown fault setting: {', '.join(sorted(unknown))}")
        error_rate = _number(changes.get("error_rate", self.error_rate), "error_rate")
        latency_ms = _number(changes.get("latency_ms", self.latency_ms), "latency_ms")
        throttle = _number(
            changes.get("throttle_per_second", self.throttle_per_second), "throttle_per_second"
        )
        if not 0.0 <= error_rate <= 1.0:
            raise ValueError("error_rate must be between 0 and 1")
        if latency_ms < 0 or throttle < 0:
            raise ValueError("latency_ms and throttle_per_second must not be negative")
        self.error_rate = error_rate
        self.latency_ms = int(latency_ms)
        if throttle != self.throttle_per_second:
            self.throttle_per_second = throttle
            self._reset_bucket()

    async def delay(self) -> None:
        """Sleep for the configured latency, if any."""
        if self.latency_ms > 0:
            await asyncio.sleep(self.latency_ms / 1000)

    def check_send(self) -> Fault | None:
        """The fault for one message send, or None to let it through."""
        if self.error_rate > 0 and self._rng.random() < self.error_rate:
            return self._rng.choice(SERVER_ERRORS)
        if self.throttle_per_second > 0 and not self._take_token():
            return THROTTLED
        return None

    def _reset_bucket(self) -> None:
        self._tokens = self._capacity()
        self._refilled_at = self._clock()

    def _capacity(self) -> float:
        # A token bucket of one second's worth allows Meta-like short bursts; at least one
        # token so that rates below 1/s still let a send through now and then.
        return max(1.0, self.throttle_per_second)

    def _take_token(self) -> bool:
        now = self._clock()
        elapsed = now - self._refilled_at
        self._refilled_at = now
        self._tokens = min(self._capacity(), self._tokens + elapsed * self.throttle_per_second)
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number")
    return float(value)
