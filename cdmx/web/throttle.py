"""Sign-in throttling: growing delays per address and per account, and a cap on the
password hashes computed at once.

Each failed sign-in (``/login`` or ``POST /api/v1/auth/token``) counts against the client's
address and against the e-mail typed. A key's first failures are free (``FREE_PER_ACCOUNT``,
``FREE_PER_ADDRESS``: an office behind one NAT shares an address); each further one blocks
the key for a delay that doubles, from 1 s up to 15 min. A blocked attempt is refused (429,
``Retry-After``) before any hashing or database work. A success clears the account's count;
the address's count is forgotten an hour after its last failure.

The counters live in this process, not in the database: a flood of guesses then costs the
database nothing (a refused attempt writes no audit row either), and a check is a dict
lookup. With N instances behind a balancer an attacker gets at most N times the guesses,
and with delays that double that buys log2(N) more steps — a factor, not a way around.
Restarting an instance forgets its counts.

The hash gate: argon2 takes ~50 ms of a core and 64 MiB per hash, so at most ``slots``
are computed at once (the rest wait on a semaphore, in the request thread pool), and when
``slots + waiting`` sign-ins are already inside, another is refused at once (429) instead
of taking one more of the thread pool's 40 threads from everything else.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

FREE_PER_ACCOUNT = 5
FREE_PER_ADDRESS = 20
FIRST_DELAY = 1.0  # seconds
MAX_DELAY = 15 * 60.0
FORGET_AFTER = 3600.0  # a key with no failure for this long starts over
MAX_KEYS = 100_000  # the oldest keys are dropped beyond this (bounded memory under a flood)


@dataclass(slots=True)
class _Count:
    failures: int = 0
    blocked_until: float = 0.0
    last_failure: float = 0.0


class SignInThrottle:
    """The failure counts of this process; ``clock`` is injectable (tests move time)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._counts: OrderedDict[str, _Count] = OrderedDict()
        self._lock = threading.Lock()

    def retry_after(self, address: str | None, email: str) -> int:
        """Seconds until an attempt from ``address`` for ``email`` is allowed; 0: now."""
        now = self.clock()
        with self._lock:
            waits = [
                count.blocked_until - now
                for key in _keys(address, email)
                if (count := self._counts.get(key)) is not None
            ]
        wait = max(waits, default=0.0)
        return math.ceil(wait) if wait > 0 else 0

    def failed(self, address: str | None, email: str) -> None:
        """Count a wrong password (or unknown e-mail) against both keys."""
        now = self.clock()
        with self._lock:
            for key, free in zip(
                _keys(address, email), (FREE_PER_ACCOUNT, FREE_PER_ADDRESS), strict=False
            ):
                count = self._counts.pop(key, None) or _Count()
                if now - count.last_failure > FORGET_AFTER:
                    count.failures = 0
                count.failures += 1
                count.last_failure = now
                if count.failures >= free:
                    delay = FIRST_DELAY * 2 ** min(count.failures - free, 20)
                    count.blocked_until = now + min(delay, MAX_DELAY)
                self._counts[key] = count  # the most recent last
            while len(self._counts) > MAX_KEYS:
                self._counts.popitem(last=False)

    def succeeded(self, email: str) -> None:
        """The account's right password: its count starts over."""
        with self._lock:
            self._counts.pop(_account(email), None)


def _account(email: str) -> str:
    return "account:" + email.strip().lower()[:254]


def _keys(address: str | None, email: str) -> list[str]:
    keys = [_account(email)]
    if address:
        keys.append("address:" + address)
    return keys


class HashGate:
    """At most ``slots`` password hashes at once; at most ``slots + waiting`` sign-ins in."""

    def __init__(self, slots: int | None = None, waiting: int | None = None) -> None:
        slots = slots or max(1, min(4, os.cpu_count() or 1))
        self._hashing = threading.BoundedSemaphore(slots)
        self._limit = slots + (waiting if waiting is not None else 2 * slots)
        self._inside = 0
        self._lock = threading.Lock()

    def enter(self) -> bool:
        """Take a place for one sign-in; False when the gate is full (refuse it)."""
        with self._lock:
            if self._inside >= self._limit:
                return False
            self._inside += 1
            return True

    def leave(self) -> None:
        with self._lock:
            self._inside -= 1

    @contextmanager
    def hashing(self) -> Iterator[None]:
        """Around one hash computation (waits for a free slot)."""
        with self._hashing:
            yield


@dataclass(frozen=True, slots=True)
class SignInGuard:
    """What a sign-in passes through: the counts and the hash gate."""

    throttle: SignInThrottle
    gate: HashGate
