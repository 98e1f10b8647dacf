"""A sliding-window limit per WhatsApp number: never more than ``rate`` Graph API calls start
in any one-second window (Meta's throughput limit is per second, 80 by default).

A token bucket would allow up to twice the rate across a window boundary (a full bucket
spent at once, then the refill); remembering the last ``rate`` start times does not.

Meta counts arrivals, not our start times, and a call can leave a little after its slot was
granted (a busy event loop, a slow connection), so the window is 10% longer than a second:
a tenth of the throughput buys calls that still fit when they bunch up on the way.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque

HEADROOM = 1.1


class RateLimiter:
    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.capacity = max(1, int(rate))
        # Rates below one per second: one call per 1/rate seconds.
        self.window = HEADROOM * self.capacity / rate
        self._starts: deque[float] = deque()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        """Wait until one more call fits in the window, and count it."""
        async with self._lock:
            while True:
                now = time.monotonic()
                while self._starts and now - self._starts[0] >= self.window:
                    self._starts.popleft()
                if len(self._starts) < self.capacity:
                    self._starts.append(now)
                    return
                await asyncio.sleep(self.window - (now - self._starts[0]))
