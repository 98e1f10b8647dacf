"""The webhook deliverer: POSTs the delivery outbox to the business's endpoints, signed.

A pipeline, not rounds: up to MAX_IN_FLIGHT requests are under way at once, each claimed as
a lease; whatever has finished is recorded together (one transaction for the batch) and
frees its place, so a slow endpoint holds only its own requests, never the others'. A
conversation's next event for an endpoint is claimable once the previous one is recorded,
so its events arrive in order.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

import httpx

from cdmx.actions.webhooks import Answer, DeliveryJob, claim_deliveries, do_record_answers
from cdmx.db.engine import Database
from cdmx.domain.sealing import Sealer
from cdmx.domain.webhooks import TIMEOUT_SECONDS
from cdmx.outgoing import signed_post

log = logging.getLogger(__name__)

MAX_IN_FLIGHT = 32
POLL_SECONDS = 0.5  # retries come due without a wake-up; this is how soon they go
BATCH_SECONDS = 0.01  # after one answer, how long the others may take to join its record


def _now() -> datetime:
    return datetime.now(UTC)


class WebhookDeliverer:
    def __init__(
        self,
        db: Database,
        sealer: Sealer,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], datetime] = _now,
        max_in_flight: int = MAX_IN_FLIGHT,
    ) -> None:
        self.db = db
        self.sealer = sealer
        self.transport = transport
        self.clock = clock
        self.max_in_flight = max_in_flight

    def _claim(self, room: int) -> list[DeliveryJob]:
        with self.db.write() as session:
            return claim_deliveries(session, self.sealer, self.clock(), room)

    def _record(self, answers: list[Answer]) -> None:
        with self.db.write() as session:
            do_record_answers(session, answers, self.clock())

    async def post(self, client: httpx.AsyncClient, job: DeliveryJob) -> Answer:
        """One signed POST; what the endpoint answered (never raises)."""
        reply = await signed_post(
            client, job.url, secrets=job.secrets, message_id=job.webhook_id,
            timestamp=int(self.clock().timestamp()), body=job.body, timeout=TIMEOUT_SECONDS,
        )  # fmt: skip
        excerpt = reply.body.decode("utf-8", errors="replace") if reply.status_code else None
        return Answer(job, reply.status_code, reply.duration_ms, excerpt, reply.error)

    async def deliver_due(self, client: httpx.AsyncClient) -> int:
        """One round: claim what is due, send it all, record it; how many were sent. (The
        running deliverer pipelines instead; rounds are for the command line and tests.)"""
        jobs = await asyncio.to_thread(self._claim, self.max_in_flight)
        if jobs:
            answers = await asyncio.gather(*(self.post(client, job) for job in jobs))
            await asyncio.to_thread(self._record, list(answers))
        return len(jobs)

    async def run(self, wakeup: asyncio.Event, stop: asyncio.Event) -> None:
        timeout = httpx.Timeout(TIMEOUT_SECONDS)
        async with httpx.AsyncClient(
            transport=self.transport, timeout=timeout, follow_redirects=False
        ) as client:
            await self._run(client, wakeup, stop)

    async def _run(
        self, client: httpx.AsyncClient, wakeup: asyncio.Event, stop: asyncio.Event
    ) -> None:
        in_flight: set[asyncio.Task[Answer]] = set()
        last_claim = 0.0
        while not stop.is_set():
            woken_up = wakeup.is_set()
            wakeup.clear()
            room = self.max_in_flight - len(in_flight)
            # A claim is a write transaction, not to be paid per delivery: claim when half the
            # places are free, or there is news (new events, retries due), or nothing is out.
            overdue = time.monotonic() - last_claim >= POLL_SECONDS
            if room > 0 and (
                room >= self.max_in_flight // 2 or woken_up or overdue or not in_flight
            ):
                last_claim = time.monotonic()
                try:
                    jobs = await asyncio.to_thread(self._claim, room)
                except Exception:
                    log.exception("claiming webhook deliveries failed; retrying shortly")
                    jobs = []
                in_flight.update(asyncio.create_task(self.post(client, job)) for job in jobs)
            woken = asyncio.ensure_future(wakeup.wait())
            await asyncio.wait(
                {*in_flight, woken}, timeout=POLL_SECONDS, return_when="FIRST_COMPLETED"
            )
            woken.cancel()
            if any(task.done() for task in in_flight):
                # The others of a batch answer within moments: record them together.
                await asyncio.wait(in_flight, timeout=BATCH_SECONDS)
            finished = [task for task in in_flight if task.done()]
            if finished:
                in_flight.difference_update(finished)
                await self._record_safely([task.result() for task in finished])
        # Stopping: what is under way finishes (it is short) and is recorded; a request that
        # does not is left to its lease and sent again by the next deliverer.
        if in_flight:
            done, pending = await asyncio.wait(in_flight, timeout=2)
            for task in pending:
                task.cancel()
            await self._record_safely([task.result() for task in done])

    async def _record_safely(self, answers: list[Answer]) -> None:
        if not answers:
            return
        try:
            await asyncio.to_thread(self._record, answers)
        except Exception:
            # Left to their leases: sent again, and the receiver drops the repeat by its id.
            log.exception("recording %d webhook answers failed", len(answers))
