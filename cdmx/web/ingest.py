"""Group commit for webhook bodies: many requests answered by one write transaction.

A webhook handler verifies the signature and awaits ``InboxWriter.store``; a writer task
takes everything queued (up to ``MAX_BATCH`` bodies), inserts it with one executemany of
``INSERT … ON CONFLICT (sha256) DO NOTHING`` in one transaction (on PostgreSQL, one
``INSERT … SELECT FROM unnest(…)`` that commits by itself), and only after the commit
answers every request of the batch. Requests that arrive meanwhile form the next batch, so
the busier the webhook, the larger the batches; nothing waits on a timer. If the
transaction fails, every request of the batch gets the exception and answers 503: nothing
is acknowledged that was not stored.

Per request this replaces a thread-pool hop and a transaction (BEGIN, INSERT, COMMIT with
its fsync; ~2.5 ms of CPU, docs/capacity.md findings 1 and 3) by a share of one. The
statements are the inbox's writers, ``cdmx.actions.inbox.do_store_updates`` and
``store_updates_at_once``; this module only batches the requests and answers them.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool

from cdmx.actions.inbox import do_store_update, do_store_updates, store_updates_at_once
from cdmx.db.engine import Database

MAX_BATCH = 256
# SQLite has one writer, so a second batch would only queue on its lock. PostgreSQL commits
# concurrently: while one batch waits for its commit's fsync, others can be sent.
POSTGRES_BATCHES_IN_FLIGHT = 3


@dataclass(frozen=True)
class _Waiting:
    body: bytes
    source: str
    stored: asyncio.Future[None]


class InboxWriter:
    """Stores webhook bodies in batches, one transaction per batch, answering after commit."""

    def __init__(self, db: Database, *, max_batch: int = MAX_BATCH) -> None:
        self.db = db
        self.max_batch = max_batch
        self.in_flight = 1 if db.is_sqlite else POSTGRES_BATCHES_IN_FLIGHT
        self.transactions = 0  # write transactions run (committed or failed), for tests
        self._queue: deque[_Waiting] = deque()
        self._ready = asyncio.Event()
        self._stopping = False
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def running(self) -> bool:
        return bool(self._tasks) and not self._stopping

    def waiting(self) -> int:
        """How many webhooks wait for their batch (read from any thread: the inbox
        processor in this process makes way for them)."""
        return len(self._queue)

    async def start(self) -> None:
        self._stopping = False
        self._tasks = [asyncio.create_task(self._run()) for _ in range(self.in_flight)]

    async def stop(self) -> None:
        """Store what is queued, then stop the writer tasks."""
        self._stopping = True
        self._ready.set()
        await asyncio.gather(*self._tasks)
        self._tasks = []

    async def store(self, body: bytes, source: str) -> None:
        """Return once ``body`` is committed to the inbox; raise if it could not be."""
        if not self.running:  # before start or after stop: a transaction of its own
            await run_in_threadpool(_store_one, self.db, body, source)
            return
        stored: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append(_Waiting(body, source, stored))
        self._ready.set()
        await stored

    async def _run(self) -> None:
        while True:
            if not self._queue:
                if self._stopping:
                    return
                self._ready.clear()
                await self._ready.wait()
                continue
            count = min(len(self._queue), self.max_batch)
            batch = [self._queue.popleft() for _ in range(count)]
            self.transactions += 1
            try:
                # Starlette's thread pool (40 threads), which the webhook no longer uses;
                # asyncio's default executor is the workers' (6 threads on 2 cores).
                await run_in_threadpool(self._write, [(w.body, w.source) for w in batch])
            except Exception as exc:  # each request logs it and answers 503
                for waiting in batch:
                    if not waiting.stored.done():  # done: its request went away
                        waiting.stored.set_exception(exc)
            else:
                for waiting in batch:
                    if not waiting.stored.done():
                        waiting.stored.set_result(None)

    def _write(self, bodies: list[tuple[bytes, str]]) -> None:
        if not self.db.is_sqlite:
            store_updates_at_once(self.db, bodies)
            return
        with self.db.write() as session:
            do_store_updates(session, bodies)


def _store_one(db: Database, body: bytes, source: str) -> None:
    with db.write() as session:
        do_store_update(session, body, source)
