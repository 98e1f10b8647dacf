"""The outbox sender: sends accepted replies through the Graph API, in order, within rate."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from cdmx.actions.outbox import SendJob, claim_sends, do_record_send_error, do_record_sent
from cdmx.db.engine import Database
from cdmx.domain.sealing import Sealer
from cdmx.storage.base import MediaStore
from cdmx.whatsapp.content import MEDIA_TYPES
from cdmx.whatsapp.errors import AuthFailed, GraphError
from cdmx.whatsapp.graph import GraphClient, SendResult
from cdmx.workers.loop import run_woken
from cdmx.workers.media import prepare_media_send
from cdmx.workers.ratelimit import RateLimiter

log = logging.getLogger(__name__)

IDLE_POLL_SECONDS = 0.5
MAX_IN_FLIGHT = 50


Outcome = str | GraphError  # the wamid WhatsApp gave the message, or why it was refused


def _record_one(session: Session, job: SendJob, outcome: Outcome) -> str:
    if isinstance(outcome, GraphError):
        return do_record_send_error(session, job, outcome)
    do_record_sent(session, job, outcome)
    return "sent"


class MessageSender(Protocol):
    """What sends a Meta message body for a number: the Graph API or AWS End User Messaging."""

    async def send_message(
        self, phone_number_id: str, token: str, body: dict[str, Any]
    ) -> SendResult: ...  # retries come due without a wake-up; this is how soon they go


class OutboxSender:
    """Claims head-of-conversation rows and sends them, one task per row, rate limited."""

    def __init__(
        self,
        db: Database,
        graph: GraphClient,
        *,
        token_for: Callable[[str], str],
        rate_per_second: float,
        eum: MessageSender | None = None,
        sealer: Sealer | None = None,
        store: MediaStore | None = None,
    ) -> None:
        self.sealer = sealer
        self.store = store
        self.db = db
        self.graph = graph
        self.eum = eum
        self.token_for = token_for
        self.rate_per_second = rate_per_second
        # No more than ~10 s of sends at the number's rate in flight, so every claimed row
        # is sent well within its lease even when it has to wait for the rate limit.
        self.in_flight_limit = max(1, min(MAX_IN_FLIGHT, int(rate_per_second * 10)))
        self._limiters: dict[str, RateLimiter] = {}

    def _limiter(self, job: SendJob) -> RateLimiter:
        rate = job.rate_per_second or self.rate_per_second
        limiter = self._limiters.get(job.phone_number_id)
        if limiter is None or limiter.rate != rate:
            limiter = self._limiters[job.phone_number_id] = RateLimiter(rate)
        return limiter

    async def send_batch(self) -> int:
        """Claim and send what is due; returns how many rows were attempted.

        The outcomes of a batch are recorded together, in one transaction (one turn at the
        writer instead of one per message); should that fail, one transaction each.
        """
        jobs = await asyncio.to_thread(self._claim)
        if not jobs:
            return 0
        outcomes = await asyncio.gather(*(self._send(job) for job in jobs))
        await asyncio.to_thread(self._record, list(zip(jobs, outcomes, strict=True)))
        return len(jobs)

    def _claim(self, room: int | None = None) -> list[SendJob]:
        limit = self.in_flight_limit if room is None else room
        with self.db.write() as session:
            return claim_sends(session, datetime.now(UTC), limit, sealer=self.sealer)

    async def _send(self, job: SendJob) -> Outcome:
        """Send one job; what happened, to be recorded."""
        await self._limiter(job).acquire()
        sender: MessageSender = self.graph
        if job.provider == "aws":
            if self.eum is None:
                return AuthFailed("AWS_REGION is not set for an AWS number")
            sender = self.eum
        try:
            token = job.token or self.token_for(job.phone_number_id)
            body = job.body
            if job.provider == "meta" and body.get("type") in MEDIA_TYPES and self.store:
                # A file goes to Meta first; the message then carries its media id.
                body = await prepare_media_send(self.db, job, self.graph, token, store=self.store)
            result = await sender.send_message(job.phone_number_id, token, body)
        except GraphError as error:
            return error
        return result.wamid

    def _record(self, recorded: list[tuple[SendJob, Outcome]]) -> None:
        try:
            with self.db.write() as session:
                outcomes = [_record_one(session, job, outcome) for job, outcome in recorded]
        except Exception:
            log.exception("recording a batch of sends failed; recording them one by one")
            outcomes = []
            for job, outcome in recorded:
                try:
                    with self.db.write() as session:
                        outcomes.append(_record_one(session, job, outcome))
                except Exception:  # the lease expires and the row is tried again
                    log.exception("outbox %s: could not record the send", job.outbox_id)
                    outcomes.append("unrecorded")
        for (job, outcome), result in zip(recorded, outcomes, strict=True):
            if isinstance(outcome, GraphError):
                log.log(
                    logging.WARNING if result != "retry" else logging.INFO,
                    "outbox %s (message %s) attempt %s: %s → %s",
                    job.outbox_id, job.message_id, job.attempts, outcome, result,
                )  # fmt: skip

    async def run(self, wakeup: asyncio.Event, stop: asyncio.Event) -> None:
        """Send whenever woken (a reply was accepted) and poll for due retries, until ``stop``.

        A pipeline rather than batches: rows are claimed whenever there is room, each is
        sent as soon as the rate allows, and outcomes are recorded by a recorder that takes
        whatever has finished since its last transaction (group commit). A reply accepted
        while others are on their way is claimed at once instead of after the batch. Each
        recording frees its conversations' next rows, so it wakes the claimer.
        """
        pipeline = _Pipeline(self, wakeup)
        recorder = asyncio.create_task(pipeline.record())
        try:
            await run_woken(
                pipeline.claim_and_start, wakeup, stop, poll_seconds=IDLE_POLL_SECONDS,
                name="outbox sender",
            )  # fmt: skip
        finally:
            await pipeline.close()
            await recorder


class _Pipeline:
    """The sender's moving parts while it runs: sends in flight and outcomes to record."""

    def __init__(self, sender: OutboxSender, wakeup: asyncio.Event) -> None:
        self.sender = sender
        self.wakeup = wakeup
        self.in_flight: set[asyncio.Task[None]] = set()
        self.finished: list[tuple[SendJob, Outcome]] = []
        self.has_finished = asyncio.Event()
        self.closed = False

    async def claim_and_start(self) -> int:
        """Claim what fits and start sending it; how many were started."""
        room = self.sender.in_flight_limit - len(self.in_flight)
        if room <= 0:
            return 0  # a finished send wakes the claimer
        jobs = await asyncio.to_thread(self.sender._claim, room)
        for job in jobs:
            task = asyncio.create_task(self._send(job))
            self.in_flight.add(task)
            task.add_done_callback(self.in_flight.discard)
        return len(jobs)

    async def _send(self, job: SendJob) -> None:
        try:
            outcome = await self.sender._send(job)
        except Exception:  # a bug: the lease expires and the row is tried again
            log.exception("outbox %s: sending failed unexpectedly", job.outbox_id)
            return
        self.finished.append((job, outcome))
        self.has_finished.set()

    async def record(self) -> None:
        """Record what has finished, again and again, until closed and nothing is left."""
        while not (self.closed and not self.finished):
            await self.has_finished.wait()
            self.has_finished.clear()
            batch, self.finished = self.finished, []
            if batch:
                await asyncio.to_thread(self.sender._record, batch)
                self.wakeup.set()  # their conversations' next replies can go now

    async def close(self) -> None:
        """On stop: let the sends in flight finish (each is bounded by the Graph timeout),
        then the recorder records them and ends: a clean shutdown leaves no sent reply
        unrecorded."""
        if self.in_flight:
            await asyncio.gather(*self.in_flight, return_exceptions=True)
        self.closed = True
        self.has_finished.set()
