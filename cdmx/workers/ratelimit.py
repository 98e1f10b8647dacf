"""A token bucket per WhatsApp number: never call the Graph API above the number's rate."""

from __future__ import annotations

import asyncio
import time


class RateLimiter:
    """Spaces calls so that no more than ``rate`` start in any second (burst of one second)."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self._tokens = rate
        self._updated = time.monotonic()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = time.monotonic()
                self._tokens = min(self.rate, self._tokens + (now - self._updated) * self.rate)
                self._updated = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                await asyncio.sleep((1 - self._tokens) / self.rate)
